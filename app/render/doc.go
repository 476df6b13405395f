// Package render turns float maps into pixels: colormaps built from key
// colours blended in a perceptual space, bilinear upsampling of a class
// activation map onto the part of the photo it covers, normalisation,
// opacity blending over the photo, threshold boxes and contours, colour bars,
// grids of captioned tiles and atomic PNG saving.
//
// The package knows nothing of tensors or widgets: maps are plain row-major
// float32 slices and images are *image.RGBA, which the GUI can show as they
// are. The hot path (re-blending when the opacity slider moves) works on
// precomputed [Heat] values and writes image.RGBA.Pix directly.
package render
