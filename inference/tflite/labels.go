package tflite

import (
	"archive/zip"
	"bytes"
	"io"
	"path"
	"strings"

	"camscope/inference/decode"
)

// maxLabelsBytes bounds the labels file read from a model (ImageNet's is
// 22 KB).
const maxLabelsBytes = 4 << 20

// labelsFile returns the labels file that TFLite metadata packs with the
// model: the metadata's associated files are a zip archive at the end of
// the .tflite file. It takes the text file whose name says labels (or the
// only text file); nil when there is none.
func labelsFile(data []byte) *decode.EmbeddedFile {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	var texts []*zip.File
	for _, f := range zr.File {
		if strings.EqualFold(path.Ext(f.Name), ".txt") && f.UncompressedSize64 <= maxLabelsBytes {
			texts = append(texts, f)
		}
	}
	pick := func() *zip.File {
		for _, f := range texts {
			if strings.Contains(strings.ToLower(path.Base(f.Name)), "label") {
				return f
			}
		}
		if len(texts) == 1 {
			return texts[0]
		}
		return nil
	}
	f := pick()
	if f == nil {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxLabelsBytes+1))
	if err != nil || len(b) > maxLabelsBytes {
		return nil
	}
	return &decode.EmbeddedFile{Name: f.Name, Data: b}
}
