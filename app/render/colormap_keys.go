package render

import "github.com/lucasb-eyer/go-colorful"

// The key colours below were sampled from the published tables (matplotlib's
// _cm_listed.py; turbo from Google's 2019 release) at the LUT indices where
// blending the neighbouring keys in the map's space strayed by more than
// 2/255 from the table: each map is reproduced within 2/255 per channel with a
// dozen or two keys instead of 256 hand-typed entries. Positions are LUT
// indices (position = index/255), so keys land exactly on table entries.

var viridisKeys = []key{
	{"#440154", 0}, {"#482173", 23}, {"#414287", 50}, {"#34608d", 77},
	{"#2e6d8e", 90}, {"#277e8e", 108}, {"#20928c", 129}, {"#1e9b8a", 139},
	{"#20a486", 149}, {"#27ad81", 159}, {"#2eb37c", 165}, {"#42be71", 178},
	{"#67cc5c", 196}, {"#86d549", 209}, {"#addc30", 224}, {"#c5e021", 233},
	{"#dde318", 242}, {"#e7e419", 246}, {"#fde725", 255},
}

var infernoKeys = []key{
	{"#000004", 0}, {"#010106", 2}, {"#050417", 10}, {"#0c0826", 17},
	{"#2b0b57", 38}, {"#420a68", 51}, {"#57106e", 64}, {"#87216b", 94},
	{"#ab2f5e", 117}, {"#cc4248", 140}, {"#e45a31", 160}, {"#ef6e21", 173},
	{"#f57d15", 182}, {"#fa9008", 193}, {"#fc9f07", 201}, {"#fcae12", 209},
	{"#fbb61a", 213}, {"#f9c72f", 222}, {"#f4dd4f", 233}, {"#f1ef75", 243},
	{"#f3f68a", 248}, {"#fcffa4", 255},
}

var magmaKeys = []key{
	{"#000004", 0}, {"#020109", 4}, {"#06051a", 12}, {"#0c0926", 18},
	{"#2c115f", 42}, {"#36106b", 48}, {"#4c117a", 61}, {"#601880", 74},
	{"#912b81", 105}, {"#c03a76", 134}, {"#d8456c", 149}, {"#e75263", 160},
	{"#f2645c", 172}, {"#fb835f", 189}, {"#feb078", 213}, {"#fed395", 232},
	{"#fcfdbf", 255},
}

var plasmaKeys = []key{
	{"#0d0887", 0}, {"#46039f", 28}, {"#6700a8", 49}, {"#8104a7", 66},
	{"#8b0aa5", 73}, {"#a82296", 95}, {"#d9586a", 143}, {"#e97158", 164},
	{"#fba238", 201}, {"#fdc527", 224}, {"#fbd324", 233}, {"#f3f027", 250},
	{"#f0f921", 255},
}

// cividis starts with a stretch where red is clipped at 0 (its dark blue end
// lies on the gamut boundary); the keys at 16..25 pin that corner.
var cividisKeys = []key{
	{"#00224e", 0}, {"#002e6a", 16}, {"#003171", 22}, {"#083370", 25},
	{"#4d556c", 74}, {"#848279", 136}, {"#a79d73", 172}, {"#fde334", 251},
	{"#fee838", 255},
}

// turbo is a rainbow, not uniform in any space, so it needs more keys; OkLab
// needs the fewest of the perceptual spaces.
var turboKeys = []key{
	{"#30123b", 0}, {"#36215f", 5}, {"#3b2f80", 10}, {"#4040a2", 16},
	{"#4451bf", 22}, {"#455ed3", 27}, {"#4771e9", 34}, {"#4682f8", 41},
	{"#448ffe", 46}, {"#4196ff", 49}, {"#33adf7", 58}, {"#20c7df", 69},
	{"#19e3b9", 84}, {"#20eaac", 89}, {"#2ff19b", 95}, {"#46f884", 102},
	{"#6dfe62", 112}, {"#8fff49", 121}, {"#9cfe40", 125}, {"#a9fb39", 130},
	{"#bcf534", 137}, {"#cdec34", 144}, {"#f5c53a", 165}, {"#fe9e2f", 181},
	{"#f36315", 201}, {"#e4450a", 213}, {"#c12302", 231}, {"#a71401", 241},
	{"#7a0403", 255},
}

// jetKeys are matplotlib's jet: each channel is piecewise linear in sRGB, so
// the keys are the union of the channels' breakpoints (at fractional
// positions) and the map is blended in RGB, which reproduces it up to the
// final rounding to bytes.
var jetKeys = []fkey{
	{colorful.Color{R: 0, G: 0, B: 0.5}, 0},
	{colorful.Color{R: 0, G: 0, B: 1}, 0.11},
	{colorful.Color{R: 0, G: 0, B: 1}, 0.125},
	{colorful.Color{R: 0, G: 0.86, B: 1}, 0.34},
	{colorful.Color{R: 0, G: 0.9, B: 30.0 / 31}, 0.35},
	{colorful.Color{R: 5.0 / 62, G: 1, B: 55.0 / 62}, 0.375},
	{colorful.Color{R: 29.0 / 31, G: 1, B: 1.0 / 31}, 0.64},
	{colorful.Color{R: 30.0 / 31, G: 26.0 / 27, B: 0}, 0.65},
	{colorful.Color{R: 1, G: 25.0 / 27, B: 0}, 0.66},
	{colorful.Color{R: 1, G: 2.0 / 27, B: 0}, 0.89},
	{colorful.Color{R: 10.0 / 11, G: 0, B: 0}, 0.91},
	{colorful.Color{R: 0.5, G: 0, B: 0}, 1},
}

var grayKeys = []fkey{
	{colorful.Color{R: 0, G: 0, B: 0}, 0},
	{colorful.Color{R: 1, G: 1, B: 1}, 1},
}
