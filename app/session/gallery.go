package session

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/assets"
)

// Sample is one picture of the gallery: a scene of the built-in shapes
// model or a real photo shipped with the app.
type Sample struct {
	Name   string // the file's name: sample_heart.png, pets.jpg
	Title  string // what the gallery writes under it
	Shapes bool   // a shapes scene, explained by the shapes model
	Data   []byte // the file's bytes
}

// photoTitles name the shipped photos (assets/samples) in gallery order.
var photoTitles = []struct{ file, title string }{
	{"pets.jpg", "Two dogs"},
	{"cat.jpg", "Cat"},
	{"bird.jpg", "Chickadee"},
	{"dragonfly.jpg", "Dragonfly"},
	{"hot_dog.jpg", "Hot dog"},
	{"grace_hopper.jpg", "Grace Hopper"},
}

// Samples are the gallery: the shipped photos, then the shapes model's
// eight scenes in its class order.
func Samples() []Sample {
	var out []Sample
	for _, p := range photoTitles {
		data, err := assets.SamplePhotos.ReadFile("samples/" + p.file)
		if err == nil {
			out = append(out, Sample{Name: p.file, Title: p.title, Data: data})
		}
	}
	for _, class := range strings.Fields(assets.ShapesLabels) {
		name := "sample_" + class + ".png"
		data, err := assets.ShapesSamples.ReadFile("shapes/" + name)
		if err == nil {
			out = append(out, Sample{Name: name, Title: class + " (shapes)", Shapes: true, Data: data})
		}
	}
	return out
}

// Photo decodes the sample.
func (smp Sample) Photo() (*photo.Photo, error) { return photo.Decode(smp.Data, smp.Name) }

// isShapesScene reports whether p, from path, is one of the shapes
// model's scenes as shipped (not a file of the user's).
func isShapesScene(p *photo.Photo, path string) bool {
	if p == nil || path != "" {
		return false
	}
	_, err := fs.Stat(assets.ShapesSamples, "shapes/"+p.Name)
	return err == nil
}

// OpenSample explains a gallery picture: a shapes scene with the shapes
// model; a photo with the models the user chose, or else with the built-in
// ImageNet classifier (a shapes model open for the scenes gives way too).
// The searched classes are dropped unless kept.
func (s *Session) OpenSample(smp Sample) error {
	p, err := smp.Photo()
	if err != nil {
		return fmt.Errorf("the sample %s: %w", smp.Name, err)
	}
	if !s.keepClasses {
		s.req.Classes = nil
	}
	onShapes := s.onShapesModel()
	switch {
	case smp.Shapes && onShapes:
		s.Submit(Job{Photo: p, Models: s.models})
	case smp.Shapes:
		s.newModel()
		s.Submit(Job{Photo: p, Default: true})
	case s.defaulted || onShapes || len(s.models) == 0:
		s.newModel()
		s.Submit(Job{Photo: p, Default: true, Builtin: s.photoModel()})
	default:
		s.Submit(Job{Photo: p, Models: s.models})
	}
	return nil
}

// newModel forgets what belongs to the models shown: the searched classes
// (another model numbers its classes its own way) and the layer.
func (s *Session) newModel() {
	s.req.Classes = nil
	s.req.Layer = ""
}

// onShapesModel reports whether the shapes model is among the models.
func (s *Session) onShapesModel() bool {
	return slices.ContainsFunc(s.models, func(m *explain.Model) bool { return m.Name == BuiltinName })
}

// photoModel is the model a photo gets when none is chosen.
func (s *Session) photoModel() func() (*explain.Model, error) {
	if f := s.runner.funcs.PhotoModel; f != nil {
		return f
	}
	return s.runner.funcs.DefaultModel
}

// OpenBuiltin replaces the models with a built-in one, ImageNetName or
// BuiltinName (the shapes model), for the photo shown: the way back after
// other models were opened.
func (s *Session) OpenBuiltin(name string) {
	f := s.runner.funcs.DefaultModel
	if name == ImageNetName {
		f = s.photoModel()
	}
	s.newModel()
	s.Submit(Job{Photo: s.photo, Builtin: f})
}

// ModelNote warns when the model cannot say anything about the photo: a
// photo of the user's, or a shipped one, explained by the shapes model,
// which knows only eight shapes; "" otherwise.
func (s *Session) ModelNote() string {
	if !s.onShapesModel() || s.photo == nil || isShapesScene(s.photo, s.photoPath) {
		return ""
	}
	return "The shapes model knows only eight shapes (" + strings.Join(strings.Fields(assets.ShapesLabels), ", ") +
		"): its answers say nothing about this photo. For photos, use " + ImageNetName + "."
}

// NeighbourSample is the gallery picture step places after the one shown
// (before it for a negative step), around the ends; ok is false when the
// photo shown is not one of the gallery's.
func (s *Session) NeighbourSample(step int) (smp Sample, ok bool) {
	if s.photo == nil || s.photoPath != "" {
		return Sample{}, false
	}
	all := Samples()
	i := slices.IndexFunc(all, func(smp Sample) bool { return smp.Name == s.photo.Name })
	if i < 0 {
		return Sample{}, false
	}
	n := len(all)
	return all[((i+step)%n+n)%n], true
}
