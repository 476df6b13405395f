// Package catalogue is the list of models the app offers to download, the
// download itself (progress, cancel, SHA-256 check, atomic install with the
// labels beside the model) and the folder downloaded models are kept in. It
// imports no GUI toolkit and nothing of the inference engine.
package catalogue

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"camscope/app/atomicfile"
	"camscope/assets"
)

// ZooBase is where the catalogue's models are downloaded from: the ONNX
// Model Zoo's validated image classifiers.
const ZooBase = "https://github.com/onnx/models/raw/main/validated/vision/classification/"

// Entry is a model the app offers to download.
type Entry struct {
	Name   string // shown to people
	Path   string // under the catalogue's base URL
	Size   int64  // bytes
	SHA256 string // hex
	// Labels are the class names, one per line, stored next to the model
	// as LabelsFile (where loading finds them); "" stores none.
	Labels string
	// Input is the side of the square photo the model takes, and Classes
	// how many classes it tells apart (0: not known before it is loaded).
	Input, Classes int
}

// Facts say what the model takes and tells apart, for the catalogue's
// list: "224×224 input · 1000 classes", or "" when not known.
func (e Entry) Facts() string {
	if e.Input == 0 || e.Classes == 0 {
		return ""
	}
	return fmt.Sprintf("%d×%d input · %d classes", e.Input, e.Input, e.Classes)
}

// File is the name the model is stored under in the download folder.
func (e Entry) File() string { return filepath.Base(e.Path) }

// LabelsFile is the name its labels are stored under: MODEL.labels.txt.
func (e Entry) LabelsFile() string {
	return strings.TrimSuffix(e.File(), filepath.Ext(e.File())) + ".labels.txt"
}

// Catalogue lists the downloadable ImageNet classifiers (sizes and
// checksums from the Model Zoo), each with ImageNet's 1000 class names.
var Catalogue = []Entry{
	{"ResNet-18 v2", "resnet/model/resnet18-v2-7.onnx", 46806737, "3b4d048057854022232aa20bf68262e31718ab7119a17f920b8a2dc1433f824b", assets.ImageNetLabels, 224, 1000},
	{"SqueezeNet 1.0", "squeezenet/model/squeezenet1.0-8.onnx", 4952222, "3c0bff2f7c984350d3ffa98e0167dc08c15da88f05d0c31989ebeba6fbb5e025", assets.ImageNetLabels, 224, 1000},
	{"GoogLeNet", "inception_and_googlenet/googlenet/model/googlenet-7.onnx", 28020232, "5725ccfd90845735ce5897faf7843c3f9b13acda3c4f3bff82cb21c9337c9de8", assets.ImageNetLabels, 224, 1000},
	{"DenseNet-121", "densenet-121/model/densenet-12.onnx", 32726877, "0294e7e88e5b3360de9b0fdc321baf9e6ef18b7f058c4536caae3b9f18ed9ed5", assets.ImageNetLabels, 224, 1000},
	{"ShuffleNet v2", "shufflenet/model/shufflenet-v2-12.onnx", 9218556, "ea69821b4dd374ae2f33f9710dd1229ac263d0ee5b5a46ca3521f6483e1ba035", assets.ImageNetLabels, 224, 1000},
}

// CacheDir is the folder downloaded models are kept in:
// os.UserCacheDir()/camscope/models. When the system names no cache folder
// it is an error: the models are never kept in a shared folder such as
// /tmp, where another user could put a model of their own in their place.
func CacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("CAMscope keeps downloaded models only in your own cache folder, and this system names none (%v). Set XDG_CACHE_HOME or HOME to a folder of yours; CAMscope does not fall back to a shared folder such as /tmp, where another user could replace the models", err)
	}
	return filepath.Join(dir, "camscope", "models"), nil
}

// Installed is a model file found in the download folder.
type Installed struct {
	Name string // the catalogue name, or the file name without .onnx
	Path string
	Size int64
}

// InstalledModels lists the .onnx and .tflite files in dir, catalogue
// models first in
// catalogue order, then others by name. A catalogue model counts only when
// its size and SHA-256 checksum are the catalogue's (see Verified); other
// files are listed as they are, having no checksum to check. Temporary
// files of downloads killed before they ended are removed. A missing
// folder is no error.
func InstalledModels(dir string) ([]Installed, error) {
	// A download in flight writes its temporary file at least every
	// idleTimeout, or is abandoned.
	atomicfile.RemoveStale(dir, "", 2*idleTimeout)
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list downloaded models in %s: %w", dir, err)
	}
	order := map[string]int{}
	entries := map[string]Entry{}
	for i, e := range Catalogue {
		order[e.File()] = i
		entries[e.File()] = e
	}
	var out []Installed
	for _, e := range ents {
		if ext := strings.ToLower(filepath.Ext(e.Name())); e.IsDir() || ext != ".onnx" && ext != ".tflite" {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		path := filepath.Join(dir, e.Name())
		name := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if entry, ok := entries[e.Name()]; ok {
			if !Verified(dir, entry) {
				continue
			}
			name = entry.Name
		}
		out = append(out, Installed{Name: name, Path: path, Size: info.Size()})
	}
	rank := func(i Installed) int {
		if r, ok := order[filepath.Base(i.Path)]; ok {
			return r
		}
		return len(Catalogue)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Verified reports whether e's model is in dir with the catalogue's size
// and SHA-256 checksum: a file that merely exists (cut, damaged or
// replaced) is not installed. The answer is kept in memory for the file's
// size and modification time, so each file is read once per run (and not
// at all after its download), and again when it changes.
func Verified(dir string, e Entry) bool {
	path := filepath.Join(dir, e.File())
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() != e.Size {
		return false
	}
	key := checkKey{path, st.Size(), st.ModTime(), e.SHA256}
	if ok, found := verified.lookup(key); found {
		return ok
	}
	ok := fileSHA256(path) == e.SHA256
	verified.store(key, ok)
	return ok
}

// checkKey identifies a file's contents well enough to skip hashing it
// again: a file rewritten in place changes its modification time.
type checkKey struct {
	path   string
	size   int64
	mtime  time.Time
	sha256 string
}

// checks are the checksum results of this run.
type checks struct {
	mu sync.Mutex
	ok map[checkKey]bool
}

var verified = &checks{ok: map[checkKey]bool{}}

func (c *checks) lookup(k checkKey) (ok, found bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok, found = c.ok[k]
	return ok, found
}

func (c *checks) store(k checkKey, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ok[k] = ok
}

// remember records that the file at path was just written with e's
// checksum (Download checked it on the way in).
func (c *checks) remember(path string, e Entry) {
	if st, err := os.Stat(path); err == nil {
		c.store(checkKey{path, st.Size(), st.ModTime(), e.SHA256}, true)
	}
}

func fileSHA256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// HumanSize writes a byte count as people read it: "46.8 MB".
func HumanSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d bytes", n)
}
