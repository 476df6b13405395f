package ui

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestUIImportsNoInference keeps the Fyne layer a renderer of the session's
// state: no file under ui/, tests included, imports an inference package
// (ARCHITECTURE.md).
func TestUIImportsNoInference(t *testing.T) {
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "camscope/inference" || strings.HasPrefix(p, "camscope/inference/") {
				t.Errorf("ui/%s imports %s: go through app/session or app/display instead", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("read %d Go files under ui/; is the test running in ui?", files)
	}
}
