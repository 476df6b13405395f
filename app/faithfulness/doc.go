// Package faithfulness measures how well a class activation map explains
// the model it came from: average drop and increase in confidence,
// deletion and insertion, ROAD, localisation and the pointing game, and
// the model-randomisation sanity check.
//
// Every metric works on a Photo (a preprocessed input tensor, its target
// class and the probability the model gives it, computed once) and a
// Saliency (the map placed on the model's input and scaled to [0,1], see
// Place). Forward passes go through a Scorer, so that batched execution
// plugs in without changing a metric; a Photo runs each distinct input
// once, whatever method or metric asks for it (the unmasked input, the
// blank input, the blurred copy, identical masks of two maps).
//
// The package computes numbers only: the evaluate command (app/cli) makes
// tables, files and plots of them, and the app shows them.
package faithfulness
