package preprocess

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LabelFileNames are the names FindLabels tries next to a model, after
// MODEL.labels.txt (where MODEL is the model's file name without extension).
var LabelFileNames = []string{"labels.txt", "imagenet_labels.txt"}

// maxLabelBytes bounds a labels file (ImageNet's is 22 KB).
const maxLabelBytes = 16 << 20

// FindLabels finds the labels file for a model, in this order: override (an
// explicit path), the sidecar's "labels" entry (relative to the sidecar's
// folder), MODEL.labels.txt, labels.txt, imagenet_labels.txt next to the
// model. It returns "" and no error when there is none; the program then
// shows class indices. An explicit path, or one named by the sidecar, that
// does not exist is an error.
func FindLabels(modelPath, sidecarPath, override string) (string, Origin, error) {
	if override != "" {
		if _, err := os.Stat(override); err != nil {
			return "", FromOptions, fmt.Errorf("labels file: %w", err)
		}
		return override, FromOptions, nil
	}
	if sidecarPath != "" {
		sc, err := ReadSidecar(sidecarPath)
		if err != nil {
			return "", FromSidecar, err
		}
		if sc.Labels != "" {
			p := sc.Labels
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(sidecarPath), p)
			}
			if _, err := os.Stat(p); err != nil {
				return "", FromSidecar, fmt.Errorf("labels file named by sidecar %s: %w", sidecarPath, err)
			}
			return p, FromSidecar, nil
		}
	}
	dir := filepath.Dir(modelPath)
	base := strings.TrimSuffix(filepath.Base(modelPath), filepath.Ext(modelPath))
	for _, name := range append([]string{base + ".labels.txt"}, LabelFileNames...) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, FromDefault, nil
		}
	}
	return "", "", nil
}

// ReadLabels reads a labels file: one label per line, surrounding whitespace
// stripped, trailing empty lines ignored, UTF-8 (a byte-order mark is
// skipped). The count must equal numClasses, with one allowance: a
// 1000-line file for a 1001-class model gets "background" put first (the
// TF-slim convention), and a 1001-line file starting with "background" for a
// 1000-class model loses that line. numClasses <= 0 skips the check.
func ReadLabels(path string, numClasses int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	defer f.Close()
	labels, err := parseLabels(io.LimitReader(f, maxLabelBytes+1))
	if err != nil {
		return nil, fmt.Errorf("labels file %s: %w", path, err)
	}
	labels, err = fitLabels(labels, numClasses)
	if err != nil {
		return nil, fmt.Errorf("labels file %s: %w", path, err)
	}
	return labels, nil
}

// ParseLabels reads the contents of a labels file that is not on disk (one
// a model carries inside it) as ReadLabels reads a file; name is used in
// messages.
func ParseLabels(name string, data []byte, numClasses int) ([]string, error) {
	labels, err := parseLabels(bytes.NewReader(data))
	if err == nil {
		labels, err = fitLabels(labels, numClasses)
	}
	if err != nil {
		return nil, fmt.Errorf("labels file %s: %w", name, err)
	}
	return labels, nil
}

func parseLabels(r io.Reader) ([]string, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(raw) > maxLabelBytes {
		return nil, fmt.Errorf("larger than %d MiB; a labels file is a short text file with one class name per line", maxLabelBytes>>20)
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return nil, fmt.Errorf("not a text file; a labels file has one class name per line")
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	var labels []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, maxLabelBytes)
	for sc.Scan() {
		labels = append(labels, strings.TrimSpace(sc.Text()))
	}
	for len(labels) > 0 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	for i, l := range labels {
		if l == "" {
			return nil, fmt.Errorf("line %d is empty; every class needs a name, one per line", i+1)
		}
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("the file is empty")
	}
	return labels, nil
}

func fitLabels(labels []string, numClasses int) ([]string, error) {
	switch {
	case numClasses <= 0 || len(labels) == numClasses:
		return labels, nil
	case numClasses == 1001 && len(labels) == 1000:
		return append([]string{"background"}, labels...), nil
	case numClasses == 1000 && len(labels) == 1001 && strings.EqualFold(labels[0], "background"):
		return labels[1:], nil
	}
	return nil, fmt.Errorf("%w: it has %d labels but the model has %d classes; use the labels file that came with the model",
		ErrLabels, len(labels), numClasses)
}
