package session

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
// SHA-256. The file appears only when complete and verified (written to a
// temporary file in dir, then renamed), so a cancelled or failed download
// leaves nothing behind. It returns the stored file's path.
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
	tmp, err := os.CreateTemp(dir, "."+e.File()+".*.part")
	if err != nil {
		return "", fmt.Errorf("cannot write into the model folder %s: %w", dir, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &progressReader{r: resp.Body, total: e.Size, progress: progress})
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil || n < e.Size {
		return "", fmt.Errorf("download %s: %w after %s of %s; try again", e.Name, ErrTruncated, HumanSize(n), HumanSize(e.Size))
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != e.Size || sum != e.SHA256 {
		return "", fmt.Errorf("download %s: %w; try again, and if it keeps failing the file on the server has changed", e.Name, ErrChecksum)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("save %s: %w", e.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("save %s: %w", e.Name, err)
	}
	dst := filepath.Join(dir, e.File())
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("save %s: %w", e.Name, err)
	}
	ok = true
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
