// Package atomicfile writes files (Write) and whole folders (WriteDir) so
// that no reader ever sees half of one:
// every file CAMscope writes (exports, maps, downloads, trained models) goes
// through Write.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Write creates path from what fill writes: into a temporary file in path's
// folder, which is synced, made readable (0644) and renamed over path only
// when fill and the saving succeed. On any error the temporary file is
// removed and a previous file at path is left as it was. fill's own error is
// returned as it is, so callers can keep their sentences and sentinels;
// errors of the saving name path.
func Write(path string, fill func(w io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, tempPrefix+base+".*"+tempSuffix)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fill(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	err = f.Chmod(0o644)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Write's temporary files are named .NAME.RANDOM.tmp, beside NAME.
const (
	tempPrefix = "."
	tempSuffix = ".tmp"
)

// RemoveStale removes the temporary files Write left in dir for name (any
// name when name is "") that were last written more than olderThan ago: a
// killed process leaves its temporary file behind. A Write in flight
// writes its file as it goes, so olderThan must be longer than it may
// pause; 0 removes them all. It returns how many it removed; a missing
// folder is no error.
func RemoveStale(dir, name string, olderThan time.Duration) (int, error) {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, e := range ents {
		base, ok := tempOf(e.Name())
		if !ok || e.IsDir() || name != "" && base != name {
			continue
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < olderThan {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
			removed++
		} else if !os.IsNotExist(err) {
			return removed, err
		}
	}
	return removed, nil
}

// tempOf returns the name a Write temporary file stands for.
func tempOf(file string) (string, bool) {
	if !strings.HasPrefix(file, tempPrefix) || !strings.HasSuffix(file, tempSuffix) {
		return "", false
	}
	mid := strings.TrimSuffix(strings.TrimPrefix(file, tempPrefix), tempSuffix)
	i := strings.LastIndexByte(mid, '.')
	if i <= 0 || i == len(mid)-1 || strings.Trim(mid[i+1:], "0123456789") != "" {
		return "", false
	}
	return mid[:i], true
}
