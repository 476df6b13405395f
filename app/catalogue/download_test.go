package catalogue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
			path, err := Download(ctx, srv.Client(), srv.URL+"/zoo/", e, dir, progress)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			files, _ := os.ReadDir(dir)
			if tc.want != nil {
				if len(files) != 0 {
					t.Errorf("a failed download left %d files", len(files))
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

func TestInstalledModelsOrder(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"zzz.onnx", Catalogue[3].File(), Catalogue[1].File(), "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
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
	want := []string{Catalogue[1].Name, Catalogue[3].Name, "zzz"}
	if len(names) != 3 || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
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
