package catalogue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"camscope/app/atomicfile"
)

// Download errors, wrapped with details.
var (
	ErrChecksum  = errors.New("the download is damaged (its checksum does not match)")
	ErrTruncated = errors.New("the download stopped early")
	ErrServer    = errors.New("the server refused the download")
)

// Progress is told how many of total bytes have arrived.
type Progress func(done, total int64)

// Download fetches base+e.Path into dir/e.File(), checking size and
// SHA-256, and stores e.Labels next to it as e.LabelsFile(). The files
// appear only when complete and verified (each written to a temporary file
// in dir, then renamed), so a cancelled or failed download leaves nothing
// behind. It returns the stored model's path.
func Download(ctx context.Context, client *http.Client, base string, e Entry, dir string, progress Progress) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cannot create the model folder %s: %w", dir, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+e.Path, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is no news to the reader
		}
		return "", fmt.Errorf("cannot download %s: %w.\n\nCheck the internet connection, or open a model file you already have.", e.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: %w (%s); try again later, or open a model file you already have", e.Name, ErrServer, resp.Status)
	}
	err = atomicfile.Write(filepath.Join(dir, e.File()), func(f io.Writer) error {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(f, h), &progressReader{r: resp.Body, total: e.Size, progress: progress})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil || n < e.Size {
			return fmt.Errorf("download %s: %w after %s of %s; try again", e.Name, ErrTruncated, HumanSize(n), HumanSize(e.Size))
		}
		if sum := hex.EncodeToString(h.Sum(nil)); n != e.Size || sum != e.SHA256 {
			return fmt.Errorf("download %s: %w; try again, and if it keeps failing the file on the server has changed", e.Name, ErrChecksum)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	dst := filepath.Join(dir, e.File())
	if e.Labels != "" {
		err = atomicfile.Write(filepath.Join(dir, e.LabelsFile()), func(f io.Writer) error {
			_, err := io.WriteString(f, e.Labels)
			return err
		})
		if err != nil {
			os.Remove(dst)
			return "", err
		}
	}
	return dst, nil
}

type progressReader struct {
	r        io.Reader
	done     int64
	total    int64
	progress Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.progress != nil && n > 0 {
		p.progress(p.done, p.total)
	}
	return n, err
}
