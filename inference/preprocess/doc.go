// Package preprocess turns a photo into a classifier's input tensor and
// keeps the geometry needed to put a map computed on that tensor back onto
// the photo.
//
// A Spec says how: input size, resize mode (Stretch or CenterCrop with a crop
// fraction), per-channel mean and std applied to pixel/255, RGB or BGR, NCHW
// or NHWC. Prepare applies it and returns the tensor and a Geometry, whose
// methods map tensor and feature-grid coordinates to photo coordinates and
// back. The resize matches PIL's Image.resize(BILINEAR) to within one 8-bit
// level.
package preprocess
