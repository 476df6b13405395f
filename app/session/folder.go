package session

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PhotoExts are the file extensions taken as photos (lower case).
var PhotoExts = []string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// IsPhotoFile reports whether name has a photo's extension.
func IsPhotoFile(name string) bool {
	return slices.Contains(PhotoExts, strings.ToLower(filepath.Ext(name)))
}

// NeighbourPhoto is the photo step places after the one shown (before it
// for a negative step) among the photos of its folder in name order,
// wrapping around at either end; "" when the photo is not a file or is
// alone in its folder.
func (s *Session) NeighbourPhoto(step int) string {
	if s.photoPath == "" || step == 0 {
		return ""
	}
	dir, name := filepath.Split(s.photoPath)
	entries, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return ""
	}
	var photos []string
	for _, e := range entries {
		if e.Type().IsRegular() && IsPhotoFile(e.Name()) || e.Name() == name {
			photos = append(photos, e.Name())
		}
	}
	i := slices.Index(photos, name)
	if i < 0 || len(photos) < 2 {
		return ""
	}
	n := len(photos)
	return filepath.Join(dir, photos[((i+step)%n+n)%n])
}
