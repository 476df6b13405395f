package session

import (
	"errors"
	"fmt"
	"slices"

	"camscope/assets"
	"camscope/inference/preprocess"
)

// ImageNetLabelsName names the ImageNet labels the app ships.
const ImageNetLabelsName = "ImageNet labels (built-in)"

// LabelsNote says that the first model names its classes by number and
// what can name them, or "" when it has labels.
func (s *Session) LabelsNote() string {
	if len(s.models) == 0 || len(s.models[0].Labels) > 0 {
		return ""
	}
	if s.ImageNetLabelsFit() {
		return fmt.Sprintf("No labels came with this model: its %d classes are numbers. If it is an ImageNet classifier, use ImageNet's class names; otherwise choose its labels file.", s.models[0].NumClasses())
	}
	return "No labels came with this model: its classes are numbers. Choose its labels file (one class name per line)."
}

// ImageNetLabelsFit reports whether the shipped ImageNet labels fit the
// first model: 1000 classes, or 1001 with background first.
func (s *Session) ImageNetLabelsFit() bool {
	if len(s.models) == 0 {
		return false
	}
	n := s.models[0].NumClasses()
	return n == 1000 || n == 1001
}

// SetLabels names the first model's classes with the labels file at path,
// or with the shipped ImageNet labels for "", and explains again (the
// model is not read again). Reopened later, the model keeps them.
func (s *Session) SetLabels(path string) error {
	if len(s.models) == 0 {
		return errors.New("Open a model first.")
	}
	m := s.models[0]
	var labels []string
	var err error
	from := path
	if path == "" {
		from = ImageNetLabelsName
		labels, err = preprocess.ParseLabels(from, []byte(assets.ImageNetLabels), m.NumClasses())
	} else {
		labels, err = preprocess.ReadLabels(path, m.NumClasses())
	}
	if err != nil {
		return err
	}
	named, err := m.WithLabels(labels, from)
	if err != nil {
		return err
	}
	if m.Path != "" {
		s.runner.models.put(m.Path, named)
	}
	models := slices.Clone(s.models)
	models[0] = named
	if s.photo == nil {
		s.models = models
		return nil
	}
	s.Submit(Job{Photo: s.photo, Models: models})
	return nil
}
