package catalogue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"camscope/assets"
	"camscope/inference/preprocess"
)

// model bytes served by the test server and the entry that describes them.
func servedEntry() ([]byte, Entry) {
	body := bytes.Repeat([]byte("onnx model bytes "), 10000)
	sum := sha256.Sum256(body)
	return body, Entry{Name: "Test net", Path: "test/model/testnet-1.onnx", Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]),
		Labels: "tench\ngoldfish\n"}
}

func TestDownload(t *testing.T) {
	body, entry := servedEntry()
	tests := map[string]struct {
		handler http.HandlerFunc
		entry   func(Entry) Entry
		cancel  bool // cancel once the first bytes arrived
		want    error
	}{
		"success": {},
		"wrong checksum": {
			entry: func(e Entry) Entry { e.SHA256 = "00" + e.SHA256[2:]; return e },
			want:  ErrChecksum,
		},
		"server error": {
			handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusNotFound) },
			want:    ErrServer,
		},
		"truncated body": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				w.Write(body[:len(body)/2])
			},
			want: ErrTruncated,
		},
		"cancel": {cancel: true, want: context.Canceled},
		// The catalogue says how big the model is: a server that sends
		// more is refused once one byte too many has arrived.
		"more than declared": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 1000 { // at most 170 MB, unless the client gives up
					if _, err := w.Write(body); err != nil || r.Context().Err() != nil {
						return
					}
				}
			},
			want: ErrTooLarge,
		},
		"declares more": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
				w.Write(body)
				w.Write([]byte("x"))
			},
			want: ErrTooLarge,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := tc.handler
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/zoo/"+entry.Path {
						http.NotFound(w, r)
						return
					}
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
					for i := 0; i < len(body); i += 4096 {
						if _, err := w.Write(body[i:min(i+4096, len(body))]); err != nil {
							return
						}
						w.(http.Flusher).Flush()
						if r.Context().Err() != nil {
							return
						}
					}
				}
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			e := entry
			if tc.entry != nil {
				e = tc.entry(e)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var calls int
			var last int64
			progress := func(done, total int64) {
				calls++
				if done < last || total != e.Size {
					t.Errorf("progress %d of %d after %d", done, total, last)
				}
				last = done
				if tc.cancel {
					cancel()
				}
			}
			dir := filepath.Join(t.TempDir(), "models")
			// A download killed before it ended left its temporary file.
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, ".testnet-1.onnx.4242.tmp"), body[:100], 0o644)
			path, err := Download(ctx, srv.Client(), srv.URL+"/zoo/", e, dir, progress)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			files, _ := os.ReadDir(dir)
			if tc.want != nil {
				if len(files) != 0 {
					t.Errorf("a failed download left %d files", len(files))
				}
				if last > e.Size {
					t.Errorf("%d bytes accepted, more than the %d declared", last, e.Size)
				}
				return
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, body) || filepath.Base(path) != "testnet-1.onnx" {
				t.Fatalf("stored %s: %v", path, err)
			}
			labels, origin, err := preprocess.FindLabels(path, "", "")
			if err != nil || filepath.Base(labels) != "testnet-1.labels.txt" || origin != preprocess.FromDefault {
				t.Errorf("labels next to the model: %s (%v), %v", labels, origin, err)
			}
			if got, err := preprocess.ReadLabels(labels, 2); err != nil || len(got) != 2 || got[1] != "goldfish" {
				t.Errorf("stored labels %q, %v", got, err)
			}
			if len(files) != 2 || calls == 0 || last != e.Size {
				t.Errorf("%d files, %d progress calls, last %d", len(files), calls, last)
			}
			list, err := InstalledModels(dir)
			if err != nil || len(list) != 1 || list[0].Name != "testnet-1" {
				t.Errorf("installed %+v, %v", list, err)
			}
		})
	}
}

// testCatalogue replaces the catalogue with n entries of small generated
// models, returning each one's bytes.
func testCatalogue(t *testing.T, n int) [][]byte {
	saved := Catalogue
	t.Cleanup(func() { Catalogue = saved })
	Catalogue = nil
	var bodies [][]byte
	for i := range n {
		body := []byte(strings.Repeat(strconv.Itoa(i), 100+i))
		sum := sha256.Sum256(body)
		Catalogue = append(Catalogue, Entry{Name: "Net " + strconv.Itoa(i), Path: "m/net" + strconv.Itoa(i) + ".onnx",
			Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])})
		bodies = append(bodies, body)
	}
	return bodies
}

func TestInstalledModelsOrder(t *testing.T) {
	bodies := testCatalogue(t, 4)
	dir := t.TempDir()
	for f, b := range map[string][]byte{"zzz.onnx": []byte("x"), "yyy.tflite": []byte("x"), Catalogue[3].File(): bodies[3], Catalogue[1].File(): bodies[1], "notes.txt": nil} {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list, err := InstalledModels(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range list {
		names = append(names, m.Name)
	}
	want := []string{Catalogue[1].Name, Catalogue[3].Name, "yyy", "zzz"}
	if !slices.Equal(names, want) {
		t.Errorf("installed %q, want %q", names, want)
	}
	if list, err := InstalledModels(filepath.Join(dir, "missing")); err != nil || list != nil {
		t.Errorf("missing folder: %v, %v", list, err)
	}
}

func TestCatalogue(t *testing.T) {
	for _, e := range Catalogue {
		if len(e.SHA256) != 64 || e.Size <= 0 || filepath.Ext(e.Path) != ".onnx" {
			t.Errorf("bad entry %+v", e)
		}
		// The list shows what each model takes and tells apart.
		if e.Facts() != "224×224 input · 1000 classes" {
			t.Errorf("%s: facts %q", e.Name, e.Facts())
		}
	}
}

// TestImageNetLabels compares the class names stored with catalogue models
// with the first name of each class in ../shared's ImageNet list (which
// has "background" first, for 1001-class models).
func TestImageNetLabels(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "models", "imagenet_labels.txt"))
	if err != nil {
		t.Fatalf("%v: the tests need ../shared beside the repository", err)
	}
	want := strings.Split(strings.TrimSpace(string(ref)), "\n")[1:]
	got := strings.Split(strings.TrimSuffix(assets.ImageNetLabels, "\n"), "\n")
	if len(got) != 1000 || len(want) != 1000 {
		t.Fatalf("%d labels, reference %d; want 1000", len(got), len(want))
	}
	for i := range got {
		if first, _, _ := strings.Cut(want[i], ","); got[i] != strings.TrimSpace(first) {
			t.Errorf("class %d: %q, reference %q", i, got[i], want[i])
		}
	}
	for _, e := range Catalogue {
		if e.Labels != assets.ImageNetLabels {
			t.Errorf("%s does not come with the ImageNet labels", e.Name)
		}
	}
}

// TestDownloadStalled serves part of the model, or nothing, then stops
// sending: the download is abandoned after the idle timeout, with a
// sentence, and leaves nothing.
func TestDownloadStalled(t *testing.T) {
	body, entry := servedEntry()
	saved := idleTimeout
	idleTimeout = 200 * time.Millisecond
	t.Cleanup(func() { idleTimeout = saved })
	for name, sent := range map[string]int{"after some bytes": len(body) / 2, "before the headers": -1} {
		t.Run(name, func(t *testing.T) {
			stop := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if sent >= 0 {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
					w.Write(body[:sent])
					w.(http.Flusher).Flush()
				}
				select { // stall, until the client goes or the test ends
				case <-r.Context().Done():
				case <-stop:
				case <-time.After(10 * time.Second):
				}
			}))
			defer srv.Close()
			defer close(stop)
			dir := t.TempDir()
			start := time.Now()
			_, err := Download(context.Background(), srv.Client(), srv.URL+"/", entry, dir, nil)
			took := time.Since(start)
			if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "nothing arrived for 200ms") {
				t.Fatalf("error %v, want ErrStalled with a sentence", err)
			}
			if took > 5*time.Second {
				t.Errorf("gave up after %v, want about 200ms", took)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("a stalled download left %d files", len(files))
			}
		})
	}
}

// silentServer accepts connections and never answers; its address.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// TestDownloadNoAnswer: with the default client, a server that does not
// answer is given up on after the configured time (shortened here), with a
// sentence that says so and what to do: one whose connection never
// completes or that never answers the TLS handshake after connectTimeout,
// one that never sends the response's headers after idleTimeout.
func TestDownloadNoAnswer(t *testing.T) {
	_, entry := servedEntry()
	savedConnect, savedIdle := connectTimeout, idleTimeout
	t.Cleanup(func() { connectTimeout, idleTimeout = savedConnect, savedIdle })
	addr := silentServer(t)
	// A connection attempt nobody answers (no SYN-ACK) cannot be made
	// reliably on a test machine: this dial waits for its deadline.
	unanswered := func() *http.Client {
		return newClient(func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
	}
	const short, long = 200 * time.Millisecond, 10 * time.Second
	cases := map[string]struct {
		connect, idle time.Duration
		client        func() *http.Client // made once the timeouts are set
		url           string
		want          error
		says          string
	}{
		"connect":       {short, long, unanswered, "http://192.0.2.1/", ErrNoAnswer, "the server did not answer within 200ms. Check the internet connection"},
		"TLS handshake": {short, long, NewClient, "https://" + addr + "/", ErrNoAnswer, "the server did not answer within 200ms. Check the internet connection"},
		"headers":       {long, short, NewClient, "http://" + addr + "/", ErrStalled, "nothing arrived for 200ms. Check the internet connection"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			connectTimeout, idleTimeout = c.connect, c.idle
			dir := t.TempDir()
			start := time.Now()
			_, err := Download(context.Background(), c.client(), c.url, entry, dir, nil)
			took := time.Since(start)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("error %v, want %v with %q", err, c.want, c.says)
			}
			if took < short || took > 2*time.Second {
				t.Errorf("gave up after %v, want about %v", took, short)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("left %d files", len(files))
			}
		})
	}
}

// TestDownloadOffline: a name that does not resolve or a server that
// refuses the connection gives a sentence in words, not the resolver's
// message, and leaves nothing behind.
func TestDownloadOffline(t *testing.T) {
	_, entry := servedEntry()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	noName := newClient(func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "server misbehaving", Name: "github.com", Server: "127.0.0.53:53"}}
	})
	for name, c := range map[string]struct {
		client *http.Client
		url    string
		says   string
	}{
		"no name resolution": {noName, "https://github.com/", "cannot look up github.com: it seems to be offline"},
		"refused":            {NewClient(), refused, "it refused the connection"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Download(context.Background(), c.client, c.url, entry, dir, nil)
			if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "127.0.0.53") {
				t.Fatalf("error %v, want %v saying %q without the resolver's address", err, ErrOffline, c.says)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("left %d files", len(files))
			}
		})
	}
}

// TestNewClientUsesSystemProxy: downloads go through the proxy the system
// names (the time limits are TestDownloadNoAnswer's).
func TestNewClientUsesSystemProxy(t *testing.T) {
	if tr, ok := NewClient().Transport.(*http.Transport); !ok || tr.Proxy == nil {
		t.Fatalf("client transport %+v: want the system's proxy", NewClient().Transport)
	}
}

// TestCacheDirOnlyUnderUserCache: with no cache folder named, no folder
// is chosen (the shared /tmp was).
func TestCacheDirOnlyUnderUserCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/home/someone/.cache")
	if dir, err := CacheDir(); err != nil || dir != "/home/someone/.cache/camscope/models" {
		t.Errorf("cache folder %q, %v", dir, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	dir, err := CacheDir()
	if err == nil || dir != "" || !strings.Contains(err.Error(), "does not fall back to a shared folder such as /tmp") {
		t.Errorf("with no cache folder: %q, %v; want a refusal that says why", dir, err)
	}
}

// TestInstalledModelsVerifiesChecksum: a catalogue model whose file is
// there but damaged is not installed. The checksum is computed again only
// when the file's size or modification time changes.
func TestInstalledModelsVerifiesChecksum(t *testing.T) {
	bodies := testCatalogue(t, 2)
	dir := t.TempDir()
	good, cut := filepath.Join(dir, Catalogue[0].File()), filepath.Join(dir, Catalogue[1].File())
	os.WriteFile(good, bodies[0], 0o644)
	os.WriteFile(cut, bodies[1][:10], 0o644)
	// A download killed an hour ago left this; one in flight writes its own.
	stale, live := filepath.Join(dir, ".net1.onnx.11.tmp"), filepath.Join(dir, ".net1.onnx.22.tmp")
	os.WriteFile(stale, nil, 0o644)
	os.WriteFile(live, nil, 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)
	names := func() []string {
		list, err := InstalledModels(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range list {
			out = append(out, m.Name)
		}
		return out
	}
	if got := names(); len(got) != 1 || got[0] != "Net 0" {
		t.Fatalf("installed %q, want only Net 0 (Net 1's file is cut)", got)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a stale temporary file is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("the temporary file of a download in flight was removed")
	}
	// Damaged in place, same size and time: the cached answer stands.
	st, _ := os.Stat(good)
	damaged := bytes.Repeat([]byte("x"), len(bodies[0]))
	os.WriteFile(good, damaged, 0o644)
	os.Chtimes(good, st.ModTime(), st.ModTime())
	if got := names(); len(got) != 1 {
		t.Errorf("installed %q: the result is not cached by size and time", got)
	}
	later := st.ModTime().Add(time.Second)
	os.Chtimes(good, later, later)
	if got := names(); len(got) != 0 {
		t.Errorf("installed %q, want none: Net 0's file changed and is damaged", got)
	}
}
