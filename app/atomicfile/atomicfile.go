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
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
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
