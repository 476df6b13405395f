package assets

import _ "embed"

// Icon is CAMscope's application icon (512x512 PNG): an eye whose iris is
// a heat map.
//
//go:embed icon.png
var Icon []byte
