package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"camscope/inference/tensor"
)

// truth is where evaluate's target classes come from: a class per photo
// file name, or none (the top-1 class is the target).
type truth struct {
	source string         // says where, for the output; "" for none
	class  map[string]int // by file name
	errs   map[string]error
}

// classesTSV is the table an ImageNet sample folder may hold: file name,
// synset, class index (0..999 in synset order) and label.
const classesTSV = "classes.tsv"

// synsetName is an ImageNet file name: n01440764_tench.JPEG.
var synsetName = regexp.MustCompile(`^n[0-9]{8}_(.+)\.[A-Za-z]+$`)

// findTruth decides the target classes of the files of dir. spec is
// --truth: "" finds them (dir's classes.tsv, else ImageNet synset file
// names when every file has one, else none), "none" asks for the top-1
// class, anything else is a CSV file of file,class rows (class: an index
// or a label).
func findTruth(dir string, files []string, spec string, labels []string, numClasses int) (truth, error) {
	t := truth{class: map[string]int{}, errs: map[string]error{}}
	switch {
	case spec == "none":
		return truth{}, nil
	case spec != "":
		return t, t.readCSV(spec, labels, numClasses)
	}
	tsv := filepath.Join(dir, classesTSV)
	if _, err := os.Stat(tsv); err == nil {
		return t, t.readTSV(tsv, labels, numClasses)
	}
	for _, f := range files {
		if !synsetName.MatchString(f) {
			return truth{}, nil
		}
	}
	if len(labels) == 0 {
		return truth{}, fmt.Errorf("the photos are named by ImageNet synsets but the model has no labels to match them with; give --labels, or --truth none")
	}
	t.source = "ImageNet synset file names"
	for _, f := range files {
		name := strings.ReplaceAll(synsetName.FindStringSubmatch(f)[1], "_", " ")
		if k, err := labelIndex(labels, name); err != nil {
			t.errs[f] = fmt.Errorf("cannot tell the class from the file name: %w; give --truth FILE.csv", err)
		} else {
			t.class[f] = k
		}
	}
	return t, nil
}

// target is the class of file, -1 for the top-1.
func (t truth) target(file string) (int, error) {
	if t.source == "" {
		return -1, nil
	}
	if err := t.errs[file]; err != nil {
		return 0, err
	}
	k, ok := t.class[file]
	if !ok {
		return 0, fmt.Errorf("%s gives no class for it", t.source)
	}
	return k, nil
}

// labelIndex finds the class whose label is text (ignoring case), or
// whose first name (before a comma) is, when only one is.
func labelIndex(labels []string, text string) (int, error) {
	text = strings.TrimSpace(text)
	found := -1
	for k, l := range labels {
		if strings.EqualFold(l, text) {
			return k, nil
		}
		first, _, _ := strings.Cut(l, ",")
		if strings.EqualFold(strings.TrimSpace(first), text) {
			if found >= 0 {
				return 0, fmt.Errorf("%q names classes %d and %d", text, found, k)
			}
			found = k
		}
	}
	if found < 0 {
		return 0, fmt.Errorf("no class of the model is called %q", text)
	}
	return found, nil
}

// readTSV reads an ImageNet sample's classes.tsv: each label is looked up
// in the model's labels; without labels the index is used, one higher for
// a model of 1001 classes (background first, as TF-slim's).
func (t *truth) readTSV(path string, labels []string, numClasses int) error {
	t.source = classesTSV
	rows, err := readTable(path, '\t')
	if err != nil {
		return err
	}
	for i, r := range rows {
		if i == 0 && r[0] == "file" {
			continue
		}
		if len(r) < 4 {
			return fmt.Errorf("%s line %d: want file, synset, index and label separated by tabs", path, i+1)
		}
		k, err := labelIndex(labels, r[3])
		if err != nil {
			idx, err2 := strconv.Atoi(r[2])
			if err2 != nil || idx < 0 || idx >= 1000 || numClasses != 1000 && numClasses != 1001 {
				t.errs[r[0]] = fmt.Errorf("%s: %v, and the model does not number ImageNet's 1000 classes", path, err)
				continue
			}
			k = idx + numClasses - 1000
		}
		t.class[r[0]] = k
	}
	return nil
}

// readCSV reads --truth: file,class rows, a header row allowed.
func (t *truth) readCSV(path string, labels []string, numClasses int) error {
	t.source = filepath.Base(path)
	rows, err := readTable(path, ',')
	if err != nil {
		return err
	}
	for i, r := range rows {
		if i == 0 && strings.EqualFold(r[0], "file") {
			continue
		}
		if len(r) != 2 {
			return fmt.Errorf("%s line %d: want two fields, file and class, not %d", path, i+1, len(r))
		}
		k, err := strconv.Atoi(strings.TrimSpace(r[1]))
		if err != nil {
			if k, err = labelIndex(labels, r[1]); err != nil {
				return fmt.Errorf("%s line %d: %v; give the class as an index or a label of the model", path, i+1, err)
			}
		}
		if k < 0 || k >= numClasses {
			return fmt.Errorf("%s line %d: class %d does not exist: the model has classes 0 to %d", path, i+1, k, numClasses-1)
		}
		t.class[strings.TrimSpace(r[0])] = k
	}
	return nil
}

// maxTableBytes bounds a table evaluate reads (a classes CSV or TSV, a
// boxes CSV, a shard's photos.csv or table.json): 64 MiB is over a
// hundred times what the 50,000 photos of ImageNet's validation set need.
const maxTableBytes = 64 << 20

// checkTableSize refuses a file over maxTableBytes before it is read.
func checkTableSize(f *os.File, path string) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() > maxTableBytes {
		return fmt.Errorf("%s is %s, more than the %s a table of photos needs: give the table itself", path, tensor.FormatBytes(st.Size()), tensor.FormatBytes(maxTableBytes))
	}
	return nil
}

func readTable(path string, sep rune) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the classes: %w", err)
	}
	defer f.Close()
	if err := checkTableSize(f, path); err != nil {
		return nil, err
	}
	r := csv.NewReader(f)
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = sep, -1, true
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, rec)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s is empty; give one row per photo", path)
	}
	return rows, nil
}
