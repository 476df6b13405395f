package atomicfile

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWriteCreatesWholeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "hello"); return err }); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "hello" {
		t.Fatalf("read back %q, %v; want hello", got, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	assertOnly(t, dir, "a.txt")
}

func TestWriteFailureKeepsOldFileAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if err != boom {
		t.Fatalf("error %v, want fill's own error returned as it is", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Errorf("old file changed to %q", got)
	}
	assertOnly(t, dir, "a.txt")
}

func TestWriteIntoMissingFolderNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "a.txt")
	err := Write(path, func(io.Writer) error { return nil })
	if err == nil {
		t.Fatal("no error writing into a missing folder")
	}
	if want := "write " + path; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(names) {
		var got []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		t.Fatalf("folder holds %v, want only %v", got, names)
	}
	for i, e := range ents {
		if e.Name() != names[i] {
			t.Fatalf("folder holds %s, want %s", e.Name(), names[i])
		}
	}
}

// TestRemoveStale removes what killed Writes left: by name, by age, and
// nothing that is not a temporary file of Write's.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	files := map[string]bool{ // name: old
		"a.onnx": true, ".a.onnx.123.tmp": true, ".b.onnx.456.tmp": true, ".b.onnx.789.tmp": false,
		".hidden.tmp": true, "x.tmp": true, ".a.onnx.12x.tmp": true,
	}
	for name, isOld := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if isOld {
			os.Chtimes(path, old, old)
		}
	}
	if n, err := RemoveStale(dir, "a.onnx", 0); n != 1 || err != nil {
		t.Fatalf("removed %d for a.onnx, %v; want 1", n, err)
	}
	if n, err := RemoveStale(dir, "", time.Minute); n != 1 || err != nil {
		t.Fatalf("removed %d older than a minute, %v; want 1", n, err)
	}
	assertOnly(t, dir, ".a.onnx.12x.tmp", ".b.onnx.789.tmp", ".hidden.tmp", "a.onnx", "x.tmp")
	if n, err := RemoveStale(filepath.Join(dir, "missing"), "", 0); n != 0 || err != nil {
		t.Errorf("missing folder: %d, %v", n, err)
	}
	// A temporary file Write really leaves is recognised.
	Write(filepath.Join(dir, "c.png"), func(w io.Writer) error {
		if n, _ := RemoveStale(dir, "c.png", 0); n != 1 {
			t.Errorf("Write's own temporary file not recognised")
		}
		return errors.New("stop")
	})
}

func TestWriteDirReplacesOnlyOnSuccess(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	write := func(names ...string) func(string) error {
		return func(tmp string) error {
			for _, n := range names {
				if err := os.WriteFile(filepath.Join(tmp, n), []byte(n), 0o644); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := WriteDir(context.Background(), dir, write("a", "b")); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(context.Background(), dir, write("c")); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir, "c")
	boom := errors.New("boom")
	err := WriteDir(context.Background(), dir, func(tmp string) error {
		write("d")(tmp)
		return boom
	})
	if err != boom {
		t.Fatalf("error %v, want fill's", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteDir(ctx, dir, write("e")); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped WriteDir: %v", err)
	}
	assertOnly(t, dir, "c")
	assertOnly(t, parent, "out")
}

func TestCleanStale(t *testing.T) {
	parent := t.TempDir()
	// A process id that is not running: a child that has exited.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := TempPrefix + strconv.Itoa(cmd.Process.Pid) + "-123"
	mine := TempPrefix + strconv.Itoa(os.Getpid()) + "-456"
	for _, d := range []string{dead, mine, "photos"} {
		if err := os.Mkdir(filepath.Join(parent, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	CleanStale(parent)
	assertOnly(t, parent, mine, "photos")
	if err := WriteDir(context.Background(), filepath.Join(parent, "out"), func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, parent, mine, "out", "photos")
}

// TestWriteDirThroughSymlink: when dir is a symbolic link to a folder, the
// folder it points to is replaced and the link survives, pointing to the
// new content; a link to nothing is refused and left alone.
func TestWriteDirThroughSymlink(t *testing.T) {
	write := func(tmp string) error { return os.WriteFile(filepath.Join(tmp, "new"), nil, 0o644) }
	for name, relative := range map[string]bool{"absolute link elsewhere": false, "relative link beside": true} {
		t.Run(name, func(t *testing.T) {
			parent, links := t.TempDir(), t.TempDir()
			target, dest := filepath.Join(parent, "real"), filepath.Join(parent, "real")
			if relative {
				links, dest = parent, "real"
			}
			if err := os.Mkdir(target, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(target, "old"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(links, "out")
			if err := os.Symlink(dest, link); err != nil {
				t.Skip("no symbolic links here:", err)
			}
			if err := WriteDir(context.Background(), link, write); err != nil {
				t.Fatal(err)
			}
			if got, err := os.Readlink(link); err != nil || got != dest {
				t.Fatalf("the link is %q (%v), want a link to %q", got, err, dest)
			}
			assertOnly(t, link, "new")
			assertOnly(t, target, "new")
			if relative {
				assertOnly(t, parent, "out", "real")
			} else {
				assertOnly(t, parent, "real")
				assertOnly(t, links, "out")
			}
		})
	}
	t.Run("dangling link", func(t *testing.T) {
		parent := t.TempDir()
		link, dest := filepath.Join(parent, "out"), filepath.Join(parent, "gone")
		if err := os.Symlink(dest, link); err != nil {
			t.Skip("no symbolic links here:", err)
		}
		err := WriteDir(context.Background(), link, func(string) error {
			t.Error("fill called for a dangling link")
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "is a symbolic link to "+dest+", which does not exist") {
			t.Fatalf("error %v, want a refusal that names the missing folder", err)
		}
		if got, err := os.Readlink(link); err != nil || got != dest {
			t.Errorf("the link is %q (%v), want it left alone", got, err)
		}
		assertOnly(t, parent, "out")
	})
}
