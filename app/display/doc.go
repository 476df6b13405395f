// Package display is CAMscope's one display pipeline, from the raw maps of
// an explanation to pixels:
//
//	maps -> normalise (per map or shared) -> place on the photo through the
//	preprocessing geometry -> colour -> decorate (box, contour) -> tile
//	(caption) -> grid
//
// Every picture of a map goes through it: the explain command's overlays,
// grid and report, the app's tiles and large view, and the app's exports.
// A [Scene] holds the normalised, placed and coloured maps of one or more
// results on one copy of the photo, so that opacity, colormap, box and
// contour changes re-render without running the model. Changing how a tile
// looks is a change in this package only.
//
// The pixel work is package render's (upsampling, colormaps, blending,
// boxes, contours, grids); running the model is package explain's. display
// imports no GUI toolkit.
package display
