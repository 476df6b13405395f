package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// TempPrefix begins the name of every temporary folder WriteDir makes
// beside its target; the writing process's id follows, so that a later run
// can tell a killed run's leftovers from a running one's.
const TempPrefix = ".camscope-tmp-"

// staleAge is how old a temporary folder must be to be removed even though
// a process with its id runs (the id may have been reused).
const staleAge = 24 * time.Hour

// WriteDir replaces the folder dir by what fill writes into the folder it
// is given: a new temporary folder beside dir (same parent, so that the
// swap is a rename). Only when fill returns nil and ctx is not done is dir
// swapped for it: the previous dir is renamed aside, the new one renamed to
// dir, and the previous one removed; if the second rename fails the first
// is undone. Otherwise the temporary folder is removed and dir is left as
// it was. Stale temporary folders of killed runs in dir's parent are
// removed first (see CleanStale).
//
// When dir is a symbolic link to a folder, that folder is the one replaced
// (its parent is where the temporary folder goes), so the link survives and
// points to the new content. A link to nothing is refused before fill is
// called: replacing it would destroy the link.
func WriteDir(ctx context.Context, dir string, fill func(tmp string) error) error {
	dir, err := linkTarget(dir)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("cannot create the output folder %s: %w", parent, err)
	}
	CleanStale(parent)
	tmp, err := os.MkdirTemp(parent, TempPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return fmt.Errorf("cannot write into the output folder %s: %w", parent, err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	old := tmp + "-old"
	if err := os.Rename(dir, old); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("cannot replace %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir)
		return fmt.Errorf("cannot replace %s: %w", dir, err)
	}
	os.RemoveAll(old)
	return nil
}

// linkTarget returns the folder dir names: dir itself, or, when dir is a
// symbolic link, the path it leads to, which must exist.
func linkTarget(dir string) (string, error) {
	if fi, err := os.Lstat(dir); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return dir, nil
	}
	target, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, fs.ErrNotExist) {
		dest, _ := os.Readlink(dir)
		return "", fmt.Errorf("the output folder %s is a symbolic link to %s, which does not exist; "+
			"create that folder, or give another output folder", dir, dest)
	}
	if err != nil {
		return "", fmt.Errorf("cannot follow the output folder's symbolic link %s: %w", dir, err)
	}
	return target, nil
}

// CleanStale removes the temporary folders WriteDir left in parent when
// their process was killed: those whose process no longer runs, and any
// older than a day.
func CleanStale(parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), TempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pid, _, _ := strings.Cut(rest, "-")
		n, err := strconv.Atoi(pid)
		info, ierr := e.Info()
		if n == os.Getpid() && err == nil {
			continue // this run's own
		}
		if err != nil || ierr != nil || !running(n) || time.Since(info.ModTime()) > staleAge {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// running reports whether a process with id pid runs (perhaps another
// user's).
func running(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
