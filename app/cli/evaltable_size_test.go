package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvaluateRefusesHugeTables: a classes CSV or a shard's table.json
// over maxTableBytes is refused before it is read (a sparse file: nothing
// is written to disk), with a sentence naming the file.
func TestEvaluateRefusesHugeTables(t *testing.T) {
	dir := t.TempDir()
	huge := func(name string) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(maxTableBytes + 1); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csvPath := huge("truth.csv")
	if _, err := readTable(csvPath, ','); err == nil || !strings.Contains(err.Error(), "truth.csv is") {
		t.Errorf("a %d-byte CSV: error %v, want it refused by size", maxTableBytes+1, err)
	}
	huge(evalTableJSON)
	if _, err := readEvalRun(dir); err == nil || !strings.Contains(err.Error(), evalTableJSON+" is") {
		t.Errorf("a %d-byte %s: error %v, want it refused by size", maxTableBytes+1, evalTableJSON, err)
	}
	small := filepath.Join(dir, "small.csv")
	if err := os.WriteFile(small, []byte("a.jpg,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rows, err := readTable(small, ','); err != nil || len(rows) != 1 {
		t.Errorf("a one-line CSV: %v, %v", rows, err)
	}
}
