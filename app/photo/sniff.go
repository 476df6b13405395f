package photo

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// notImageMessage explains what a file that no decoder recognised probably
// is, so that the user knows what went wrong: the commonest mistake is
// dropping the model, or a text file, where the photo goes.
func notImageMessage(data []byte, name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	head := data[:min(len(data), 4096)]
	what := ""
	switch {
	case ext == ".onnx" || (len(head) > 0 && head[0] == 0x08 && bytes.Contains(head, []byte("onnx"))):
		return fmt.Sprintf("%s is an ONNX model, not a photo. Choose it as the model, and choose a %s image as the photo.", name, oneFormat)
	case ext == ".tflite" || len(head) >= 8 && string(head[4:8]) == "TFL3":
		return fmt.Sprintf("%s is a TensorFlow Lite model, not a photo. Choose it as the model, and choose a %s image as the photo.", name, oneFormat)
	case len(head) >= 12 && string(head[4:8]) == "ftyp" && isHEIF(string(head[8:12])):
		return fmt.Sprintf("%s is a HEIC/AVIF photo, which CAMscope cannot open. Export it as JPEG or PNG (most photo apps can) and open that.", name)
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		what = "a NumPy array"
	case bytes.HasPrefix(head, []byte("%PDF")):
		what = "a PDF document"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		what = "a ZIP archive (or an Office document); unpack it first"
	case bytes.HasPrefix(head, []byte("8BPS")):
		what = "a Photoshop document; export it as PNG or JPEG"
	case ext == ".svg" || bytes.Contains(head, []byte("<svg")):
		what = "an SVG drawing; export it as PNG"
	case bytes.HasPrefix(head, []byte("RIFF")) && len(head) >= 12 && string(head[8:12]) != "WEBP":
		what = "a RIFF file (audio or video)"
	case isText(head):
		what = "a text file"
	}
	if what != "" {
		return fmt.Sprintf("%s is %s, not a photo. CAMscope opens %s images.", name, what, formats)
	}
	return fmt.Sprintf("%s is not an image CAMscope can open. It opens %s files; convert the photo to one of those and try again.", name, formats)
}

func isHEIF(brand string) bool {
	switch brand {
	case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis":
		return true
	}
	return false
}

// isText reports whether b looks like UTF-8 text without control characters
// other than whitespace.
func isText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	// A multi-byte character may be cut at the end of the sniffed prefix.
	for i := 0; i < 3 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			return false
		}
	}
	return true
}
