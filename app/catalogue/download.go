package catalogue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"camscope/app/atomicfile"
)

// Download errors, wrapped with details.
var (
	ErrChecksum  = errors.New("the download is damaged (its checksum does not match)")
	ErrTruncated = errors.New("the download stopped early")
	ErrServer    = errors.New("the server refused the download")
	ErrTooLarge  = errors.New("the server sent more than the catalogue declares")
	ErrStalled   = errors.New("the server stopped sending")
	ErrNoAnswer  = errors.New("the server did not answer")
	ErrOffline   = errors.New("the server cannot be reached")
)

// A download's time limits: connecting (and the TLS handshake) may take
// connectTimeout; after that it is abandoned as soon as no byte has
// arrived for idleTimeout (the response's headers included). Variables for
// the tests.
var (
	connectTimeout = 15 * time.Second
	idleTimeout    = 30 * time.Second
)

// NewClient is the HTTP client downloads use by default: the system's proxy
// settings, with a connect and TLS handshake timeout (Download adds the idle
// timeout, which covers the wait for the response's headers too).
// http.DefaultClient has none: a server that stops answering would hang a
// download until it is cancelled.
func NewClient() *http.Client {
	return newClient((&net.Dialer{KeepAlive: 30 * time.Second}).DialContext)
}

// newClient is NewClient connecting through dial, which it gives
// connectTimeout to connect (the tests give a dial that never connects).
func newClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, connectTimeout)
		defer cancel()
		return dial(ctx, network, addr)
	}
	t.TLSHandshakeTimeout = connectTimeout
	return &http.Client{Transport: t}
}

// Progress is told how many of total bytes have arrived.
type Progress func(done, total int64)

// Download fetches base+e.Path into dir/e.File(), checking size and
// SHA-256, and stores e.Labels next to it as e.LabelsFile(). The files
// appear only when complete and verified (each written to a temporary file
// in dir, then renamed), so a cancelled or failed download leaves nothing
// behind, and one killed before it ended leaves a temporary file that the
// next download of the entry (or InstalledModels) removes. It refuses the
// download as soon as more than e.Size bytes arrive, and abandons it when
// no byte arrives for idleTimeout. client nil is NewClient(). It returns
// the stored model's path.
func Download(ctx context.Context, client *http.Client, base string, e Entry, dir string, progress Progress) (string, error) {
	if client == nil {
		client = NewClient()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cannot create the model folder %s: %w", dir, err)
	}
	for _, name := range []string{e.File(), e.LabelsFile()} {
		atomicfile.RemoveStale(dir, name, 0)
	}
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(idleTimeout, func() { cancel(ErrStalled) })
	defer idle.Stop()
	stalled := func() error {
		return fmt.Errorf("download %s: %w: nothing arrived for %v. Check the internet connection and try again, or open a model file you already have.", e.Name, ErrStalled, idleTimeout)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+e.Path, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		if parent.Err() != nil {
			return "", parent.Err()
		}
		if context.Cause(ctx) == ErrStalled {
			return "", stalled()
		}
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return "", fmt.Errorf("download %s: %w within %v. Check the internet connection and try again, or open a model file you already have.", e.Name, ErrNoAnswer, connectTimeout)
		}
		if why := unreachable(err); why != "" {
			return "", fmt.Errorf("cannot download %s: %w (%s).\n\nConnect to the internet and try again, or open a model file you already have.", e.Name, ErrOffline, why)
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
	tooLarge := fmt.Errorf("download %s: %w (%s); it was refused. Try again later, and if it keeps happening the file on the server has changed.", e.Name, ErrTooLarge, HumanSize(e.Size))
	if resp.ContentLength > e.Size {
		return "", tooLarge
	}
	err = atomicfile.Write(filepath.Join(dir, e.File()), func(f io.Writer) error {
		h := sha256.New()
		// One byte more than declared is enough to refuse it.
		body := &progressReader{r: io.LimitReader(resp.Body, e.Size+1), total: e.Size, progress: progress, idle: idle}
		n, err := io.Copy(io.MultiWriter(f, h), body)
		switch {
		case parent.Err() != nil:
			return parent.Err()
		case context.Cause(ctx) == ErrStalled:
			return stalled()
		case n > e.Size:
			return tooLarge
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
	verified.remember(dst, e)
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

// progressReader reports the bytes read and, as each arrives, restarts the
// idle timer.
type progressReader struct {
	r        io.Reader
	done     int64
	total    int64
	progress Progress
	idle     *time.Timer
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.idle.Reset(idleTimeout)
	}
	p.done += int64(n)
	if p.progress != nil && n > 0 && p.done <= p.total {
		p.progress(p.done, p.total)
	}
	return n, err
}

// unreachable says in words why err means the server cannot be reached
// from here (no name resolution, no route, refused), or "" if it does not:
// the resolver's own message ("lookup x on 127.0.0.53:53: server
// misbehaving") tells a teacher offline nothing.
func unreachable(err error) string {
	if dns, ok := errors.AsType[*net.DNSError](err); ok {
		return "this computer cannot look up " + dns.Name + ": it seems to be offline"
	}
	switch {
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "no network route to it: this computer seems to be offline"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "it refused the connection"
	}
	return ""
}
