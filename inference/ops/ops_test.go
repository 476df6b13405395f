package ops

import (
	"errors"
	"testing"
)

func TestUnsupported(t *testing.T) {
	_, err := Build(&Node{OpType: "NoSuchOp"})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("got %v", err)
	}
}
