package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"camscope/app/session"
)

// aboutText names what the app ships that others made: the two built-in
// models, the ImageNet labels and the sample photos, with their sources and
// licences.
const aboutText = "CAMscope shows where an image classifier looks: the class activation maps of its top classes over the photo.\n\n" +
	"Built-in models (they work offline):\n\n" +
	"• " + session.ImageNetName + ": Google's quantized MobileNetV2 ImageNet classifier " +
	"(mobilenet_v2_1.0_224_quant.tflite from github.com/google-coral/test_data), unchanged, " +
	"under the Apache License 2.0. Used for photos when no other model is open.\n\n" +
	"• " + session.BuiltinName + ": a small network trained by CAMscope itself on generated scenes of eight shapes, " +
	"for the sample scenes. It knows only those eight shapes.\n\n" +
	"ImageNet's class names come from Google's @tensorflow-models/mobilenet (Apache License 2.0).\n\n" +
	"Sample photos (Samples…), from github.com/google-coral/test_data, made JPEG:\n\n" +
	"• Two dogs, Cat, Chickadee, Dragonfly, Hot dog: Open Images Dataset V5 (Google), " +
	"under the Creative Commons Attribution 2.0 licence (CC BY 2.0).\n\n" +
	"• Grace Hopper: Naval History and Heritage Command, photo NH-96919-KN, public domain.\n\n" +
	"The notices and licence texts are in the assets folder of CAMscope's source."

// AboutDialog says what CAMscope is and what it ships.
func (a *App) AboutDialog() {
	text := widget.NewLabel(aboutText)
	text.Wrapping = fyne.TextWrapWord
	body := container.NewGridWrap(fyne.NewSize(520, 360), container.NewVScroll(text))
	dialog.NewCustom("About CAMscope", "Close", body, a.Window).Show()
}
