package photo

import (
	"os"
	"testing"
)

func BenchmarkDecode(b *testing.B) {
	for name, path := range map[string]string{
		"png":  "../../../shared/images/bird.png",
		"jpeg": "testdata/chroma420.jpg",
		"webp": "testdata/lossy.webp",
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatalf("%v: the shared photos belong in ../shared/images, beside this checkout", err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(data, name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
