// Package preprocess turns a photo into a classifier's input tensor and
// keeps the geometry needed to put a map computed on that tensor back onto
// the photo.
//
// # Spec
//
// A Spec says how: input Width x Height; Resize mode Stretch (the whole photo
// to WxH, aspect not kept), CenterCrop (shorter side to
// floor(max(W,H)/CropFraction), then the centre WxH, as torchvision's
// Resize(256)+CenterCrop(224)) or SquareCrop (the centred square, scaled by
// CropFraction, resized to WxH); x = (p/255 - Mean[c]) / Std[c] per channel;
// RGB or BGR channel order (Mean and Std are listed in the tensor's order);
// NCHW or NHWC layout. Prepare applies it and returns the tensor and a
// Geometry. The resize is a port of Pillow's Image.resize(BILINEAR) (a
// triangle filter widened by the shrink factor, 22-bit fixed point, 8-bit
// rounding after each pass) and gives the same bytes: the tensors for the 16
// photos in shared/images are bit-identical to Pillow + NumPy's, and
// reproduce the reference probabilities in shared/images/expected.json.
//
// # Geometry
//
// Geometry.Crop is the rectangle of the photo, in continuous photo pixel
// coordinates (pixel i spans [i, i+1)), that the tensor covers: the whole
// photo for Stretch, the centre part for the crop modes. TensorToPhoto,
// PhotoToTensor, GridToPhoto, PhotoToGrid and GridCell map between the
// photo, the tensor and a feature grid laid evenly over the tensor. A CAM
// computed on a 7x7 grid therefore belongs on Crop, not on the whole photo.
//
// # Where the Spec comes from
//
// Resolve takes each choice from the first source that makes it: explicit
// Options (command-line flags); the sidecar file MODEL.json next to the model
// (see Sidecar; e.g. resnet50.onnx.json); the model's metadata_props
// "preprocessing" text (see ParseMetadata); the model's input shape (size,
// layout) and the convention for its class count (1001: TF-slim, stretch,
// [-1,1]; otherwise torchvision, center crop 0.875, ImageNet mean/std). It
// returns a Source saying where each choice came from.
//
// # Labels
//
// FindLabels looks for an explicit path, then the sidecar's "labels", then
// MODEL.labels.txt, labels.txt and imagenet_labels.txt next to the model.
// ReadLabels reads one label per line and checks the count against the
// model's classes (a 1000-line file fits a 1001-class model by adding
// "background" first).
//
// README.md in this folder says the same for users.
package preprocess
