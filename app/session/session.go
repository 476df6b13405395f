package session

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"camscope/app/display"
	"camscope/app/explain"
	"camscope/app/photo"
	"camscope/app/render"
	"camscope/inference/cam"
)

// Session is the desktop app's state and the decisions about it, without
// widgets: the photo, the models, what is asked (the request), how maps are
// shown (the view), the latest results prepared for display (the scene),
// and whether a run is in flight. A GUI forwards what people do to its
// methods and shows its state; it makes no decision of its own.
//
// Runs happen on the runner's goroutine; their outcomes reach the session
// only through Apply, which the GUI calls on its own goroutine. A new run
// cancels the one in flight, and Apply drops the outcome of any run but the
// latest, so a stale result is never shown. The faithfulness of the maps
// shown is measured likewise on a goroutine of its own once they are shown
// (metrics.go): a new run cancels it, and ApplyMeasured drops what is
// stale. Everything else is called from the GUI's goroutine only.
type Session struct {
	runner *Runner

	photo       *photo.Photo
	photoPath   string
	models      []*explain.Model
	defaulted   bool // models are a default the runner chose, not the user's
	req         explain.Request
	sameClasses bool
	classNotes  []string
	photoColumn bool
	keepClasses bool
	view        display.View
	// methods, when set, are the rows of the compare-methods view: the
	// first model explained once per method, with the same classes.
	methods []explain.Method
	// shown is what the results shown were asked with: a cancelled run
	// leaves them on screen, and the request goes back to match them.
	shown    shownAs
	results  []*explain.Result
	scene    *display.Scene
	busy     bool
	progress Progress
	took     time.Duration
	// layers are the picker's entries for layersOf (Layers).
	layersOf *explain.Model
	layers   []LayerChoice
	// meter measures the faithfulness of the maps in Measuring (the large
	// view's, the compare-methods rows'); measured holds their scores for
	// the results shown, inFlight what its job was started with.
	meter    *measurer
	large    *MapKey
	measured map[MapKey]MapScores
	inFlight []MapKey
}

// shownAs is what a run was asked with.
type shownAs struct {
	req         explain.Request
	methods     []explain.Method
	sameClasses bool
}

// New returns a session with no photo and no model. deliver is called on
// the runner's goroutine with each outcome that may be shown; the GUI hands
// it to Apply on its own goroutine.
func New(f Funcs, v display.View, deliver func(Outcome)) *Session {
	measure := f.Measure
	if measure == nil {
		measure = MeasureMap
	}
	return &Session{runner: NewRunner(f, deliver), view: v, meter: &measurer{measure: measure},
		req: explain.Request{Method: cam.CAM, TopK: explain.DefaultTopK}}
}

// Start loads the photo at imagePath and the models at modelPaths; with
// no photo it takes the sample scene, with no model the default one.
func (s *Session) Start(imagePath string, modelPaths []string) {
	job := Job{PhotoPath: imagePath, ModelPaths: modelPaths, Default: true}
	if imagePath == "" {
		job.Photo = SamplePhoto()
	}
	s.Submit(job)
}

// Submit starts a run of job with the session's request and view,
// cancelling the run in flight.
func (s *Session) Submit(job Job) {
	job.Request = s.req
	job.SameClasses = s.sameClasses
	job.Methods = s.methods
	job.View = s.view
	s.busy = true
	s.progress = Progress{}
	s.stopMeasuring()
	s.runner.Submit(job)
}

// rerun explains the current photo again with the current models.
func (s *Session) rerun() {
	if s.photo == nil {
		return
	}
	s.Submit(Job{Photo: s.photo, Models: s.models})
}

// Cancel stops the run in flight; what is shown stays, and the request
// goes back to what it was asked with, so that the controls match the
// tiles.
func (s *Session) Cancel() {
	s.runner.Cancel()
	s.busy = false
	if len(s.results) > 0 {
		s.req, s.methods, s.sameClasses = s.shown.req, s.shown.methods, s.shown.sameClasses
	}
	s.remeasure()
}

// Close cancels the run and the measurement in flight and waits until
// they have stopped.
func (s *Session) Close() {
	s.runner.Cancel()
	s.meter.stop()
	s.Wait()
}

// Wait blocks until the latest run's and measurement's goroutines have
// ended.
func (s *Session) Wait() {
	s.runner.Wait()
	s.meter.wait()
}

// Apply takes an outcome into the session. It reports false, changing
// nothing, for an outcome that is not the latest run's: the GUI then shows
// nothing of it.
func (s *Session) Apply(o Outcome) bool {
	if !s.runner.Current(o.Gen) {
		return false
	}
	if o.Partial {
		s.progress = o.Progress
		return true
	}
	s.busy = false
	// The maps shown are measured once they are (see Measuring).
	defer s.remeasure()
	if o.Err != nil {
		// What is shown stays; a first photo that loaded is kept, so that
		// the window can say what to do next.
		if s.photo == nil && o.Photo != nil {
			s.photo, s.photoPath = o.Photo, o.PhotoPath
		}
		// Likewise models that loaded while the photo did not (a bad
		// --image beside a good --model).
		if len(s.models) == 0 && len(o.Models) > 0 {
			s.models, s.defaulted = o.Models, o.Defaulted
		}
		return true
	}
	if o.Photo != nil && o.Photo != s.photo {
		// A new photo brings its path: "" for a built-in one.
		s.photo, s.photoPath = o.Photo, o.PhotoPath
	}
	if len(o.Models) > 0 {
		s.models, s.defaulted = o.Models, o.Defaulted
	}
	if o.Request.Method != "" {
		s.req.Method = o.Request.Method
		s.req.Layer = o.Request.Layer
	}
	s.results, s.classNotes = o.Results, o.ClassNotes
	s.forgetMeasured()
	s.shown = shownAs{req: s.req, methods: o.Methods, sameClasses: o.SameClasses}
	s.took = o.Took
	s.scene = o.Scene
	switch {
	case s.scene == nil || !s.scene.Fits(s.view):
		// The normalisation changed while the model ran.
		s.rebuildScene()
	case s.scene.View != s.view:
		s.scene.Show(s.view)
	}
	return true
}

// rebuildScene prepares the current results for the current view.
func (s *Session) rebuildScene() {
	switch {
	case s.photo == nil || len(s.results) == 0:
		s.scene = nil
	case s.scene != nil:
		s.scene = s.scene.Rescale(s.results, s.view)
	default:
		s.scene = display.NewScene(s.photo.Image, s.results, s.view, display.DisplaySide)
	}
}

// OpenPhoto explains the photo at path with the current models, and the
// searched classes only if asked (SetKeepClasses).
//
// While the model is a default the user did not choose (the shapes model
// of the sample scene), a photo gets the photo default instead: the
// built-in ImageNet classifier.
func (s *Session) OpenPhoto(path string) {
	if !s.keepClasses {
		s.req.Classes = nil
	}
	if s.defaulted {
		s.Submit(Job{PhotoPath: path, Default: true})
		return
	}
	s.Submit(Job{PhotoPath: path, Models: s.models})
}

// OpenModel replaces the models with the one at path. Searched classes
// and the chosen layer are dropped: another model may number its classes
// differently, and names its tensors its own way.
func (s *Session) OpenModel(path string) {
	s.req.Classes = nil
	s.req.Layer = ""
	s.Submit(Job{Photo: s.photo, ModelPaths: []string{path}})
}

// AddModel adds the model at path as one more row (compare).
//
// A model already compared is refused with a sentence saying so.
func (s *Session) AddModel(path string) error {
	for _, m := range s.models {
		if samePath(m.Path, path) {
			return fmt.Errorf("Row %d already shows %s: add another model.", slices.Index(s.models, m)+1, m.Name)
		}
	}
	s.Submit(Job{Photo: s.photo, Models: s.models, ModelPaths: []string{path}})
	return nil
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

// RemoveModel drops row i, unless it is the only one.
func (s *Session) RemoveModel(i int) {
	if i < 0 || i >= len(s.models) || len(s.models) == 1 {
		return
	}
	models := append(append([]*explain.Model(nil), s.models[:i]...), s.models[i+1:]...)
	s.Submit(Job{Photo: s.photo, Models: models})
}

// SetSameClasses switches between each model's own top k and the first
// model's classes in every row.
func (s *Session) SetSameClasses(same bool) {
	if same == s.sameClasses {
		return
	}
	s.sameClasses = same
	s.rerun()
}

// SetTopK explains the k most probable classes (clamped to 1 to
// explain.MaxTopK) and returns k.
func (s *Session) SetTopK(k int) int {
	k = min(max(k, 1), explain.MaxTopK)
	if k != s.req.TopK {
		s.req.TopK = k
		s.rerun()
	}
	return k
}

// SetMethod chooses the method (one of cam.Methods). CAM and attention
// rollout are not taken while a model cannot use them (see CAMApplies and
// RolloutApplies).
func (s *Session) SetMethod(m explain.Method) {
	if m == s.req.Method || !applies(m, s.models, s.req.Layer) {
		return
	}
	s.req.Method = m
	if s.methods == nil {
		s.rerun()
	}
}

// LayerChoice is one entry of the layer picker.
type LayerChoice struct {
	Name  string // the tensor; "" for the discovered layer
	Short string // the layer's short name (cam.ShortLayerName)
	Label string // short name and grid size, the discovered one marked
	W, H  int    // its grid
}

// Layers are the layers the first model can be explained at, from the
// first to the last before the head, when there is one model (see
// LayerApplies), or nil.
func (s *Session) Layers() []LayerChoice {
	if len(s.models) != 1 || s.models[0].Engine == nil {
		return nil
	}
	if s.layersOf != s.models[0] {
		s.layersOf, s.layers = s.models[0], layerChoices(s.models[0])
	}
	return s.layers
}

// layerChoices are m's layers as the picker shows them.
func layerChoices(m *explain.Model) []LayerChoice {
	var out []LayerChoice
	for _, l := range m.LayerChoices() {
		c := LayerChoice{Name: l.Name, Short: l.Short, Label: fmt.Sprintf("%s · %d×%d", l.Short, l.W, l.H), W: l.W, H: l.H}
		if l.Tokens {
			c.Label += " tokens"
		}
		if l.Discovered {
			c.Name = ""
			c.Label += " (default)"
		}
		out = append(out, c)
	}
	return out
}

// Layer is the chosen layer's entry in Layers, or ok false when there is
// no choice to make.
func (s *Session) Layer() (c LayerChoice, ok bool) {
	for _, c := range s.Layers() {
		if c.Name == s.req.Layer {
			return c, true
		}
	}
	return LayerChoice{}, false
}

// LayerNote says why the layer cannot be chosen now, or why it changes
// nothing (see LayerRead), or "".
func (s *Session) LayerNote() string {
	if len(s.models) > 1 {
		return "The layer is chosen for one model at a time: compared models each use their own default layer."
	}
	if !s.LayerRead() {
		if s.methods != nil {
			return "None of these methods reads a layer."
		}
		return NoLayerNote(s.req.Method)
	}
	return ""
}

// NoLayerFact says, for the model's facts, where the maps are when the
// layer changes none of them (see LayerRead), or "" when it does.
func (s *Session) NoLayerFact() string {
	switch {
	case s.LayerRead():
		return ""
	case s.methods != nil:
		return "No layer: none of these methods reads one"
	}
	return "No layer: the map is " + noLayer[s.req.Method].mapAt
}

// LayerRead reports whether the layer chosen changes the maps shown: when
// the chosen method, or in the compare-methods view a row's, reads a layer
// (ReadsLayer).
func (s *Session) LayerRead() bool {
	if s.methods == nil {
		return ReadsLayer(s.req.Method)
	}
	return slices.ContainsFunc(s.methods, ReadsLayer)
}

// SetLayer explains the maps at layer (a Name from Layers; "" for the
// discovered one), with the same model: the model file is not read again.
// CAM, which applies only at the discovered layer, gives way to Grad-CAM
// elsewhere (the runner decides, through CAMApplies).
func (s *Session) SetLayer(layer string) {
	if layer == s.req.Layer || len(s.models) != 1 {
		return
	}
	s.req.Layer = layer
	s.rerun()
}

// DefaultCompareMethods are the rows the compare-methods view starts with:
// CAM where it applies, Grad-CAM, Grad-CAM++, LayerCAM and Eigen-CAM, and
// for a ViT or DeiT attention rollout.
func (s *Session) DefaultCompareMethods() []explain.Method {
	var out []explain.Method
	if ok, _ := CAMApplies(s.methodModels(), s.req.Layer); ok {
		out = append(out, cam.CAM)
	}
	out = append(out, cam.GradCAM, cam.GradCAMPlusPlus, cam.LayerCAM, cam.EigenCAM)
	if m := s.methodModels(); len(m) > 0 && m[0].Explainer != nil {
		if ok, _ := m[0].Explainer.SupportsRollout(); ok {
			out = append(out, cam.Rollout)
		}
	}
	return out
}

// methodModels are the models the compare-methods view explains: the first.
func (s *Session) methodModels() []*explain.Model {
	if len(s.models) == 0 {
		return nil
	}
	return s.models[:1]
}

// SetCompareMethods shows one row per method of methods (in cam.Methods'
// order; CAM only where it applies) for the first model, the same classes
// in every row; none goes back to the normal view.
func (s *Session) SetCompareMethods(methods []explain.Method) {
	var rows []explain.Method
	for _, m := range cam.Methods() {
		if slices.Contains(methods, m) {
			rows = append(rows, m)
		}
	}
	if slices.Equal(rows, s.methods) {
		return
	}
	s.methods = rows
	s.rerun()
}

// CompareMethods are the compare-methods view's rows as asked, or nil in
// the normal view.
func (s *Session) CompareMethods() []explain.Method { return s.methods }

// MethodNote says which methods must agree here when the chosen method is
// one of them (see Agreement), or "".
func (s *Session) MethodNote() string {
	agree, note := Agreement(s.models, s.req.Layer)
	if slices.Contains(agree, s.req.Method) {
		return note
	}
	return ""
}

// SetPhotoColumn asks for the plain photo at the start of each row when
// there are several rows (no model runs).
func (s *Session) SetPhotoColumn(on bool) { s.photoColumn = on }

// PhotoColumn reports whether the rows start with the plain photo: when
// asked and there are several rows.
func (s *Session) PhotoColumn() bool { return s.photoColumn && len(s.results) > 1 }

// RowLabels name the rows of the tiles: the models when comparing models,
// the methods in the compare-methods view (a method whose map must equal
// another row's says so), nothing for a single row.
func (s *Session) RowLabels() []string {
	if len(s.results) < 2 {
		return nil
	}
	agree, _ := Agreement(s.methodModels(), s.req.Layer)
	var shown []explain.Method
	for _, r := range s.results {
		if slices.Contains(agree, r.Request.Method) {
			shown = append(shown, r.Request.Method)
		}
	}
	labels := make([]string, len(s.results))
	for i, r := range s.results {
		if s.methods == nil {
			labels[i] = r.Model.Name
			continue
		}
		labels[i] = MethodName(r.Request.Method)
		if len(shown) > 1 && slices.Contains(shown, r.Request.Method) {
			var others []string
			for _, m := range shown {
				if m != r.Request.Method {
					others = append(others, MethodName(m))
				}
			}
			labels[i] += " — same map as " + strings.Join(others, ", ") + " on this head"
		}
	}
	return labels
}

// AddClass adds the class query names (an index, or a label fragment that
// only one label contains or one label is) to the tiles and returns a
// sentence saying what it did, or why nothing was added. When several
// labels match, nothing is added: picks are the matches to choose from
// (AddClassIndex), best first.
func (s *Session) AddClass(query string) (note string, added bool, picks []int) {
	if len(s.models) == 0 {
		return "Open a model first.", false, nil
	}
	m := s.models[0]
	hits, err := cam.FindClasses(m.Labels, m.NumClasses(), query)
	if err != nil {
		return sentence(err.Error()), false, nil
	}
	if len(hits) > 1 {
		exact := slices.IndexFunc(hits, func(k int) bool { return labelKey(m.Labels[k]) == labelKey(query) })
		if exact < 0 {
			return fmt.Sprintf("%d classes match %q: pick one.", len(hits), strings.TrimSpace(query)), false, hits[:min(len(hits), maxPicks)]
		}
		hits = hits[exact : exact+1]
	}
	note, added = s.AddClassIndex(hits[0])
	return note, added, nil
}

// maxPicks is how many matches of an ambiguous search are offered.
const maxPicks = 8

// AddClassIndex adds class k of the first model to the tiles.
func (s *Session) AddClassIndex(k int) (note string, added bool) {
	m := s.models[0]
	if slices.Contains(s.req.Classes, k) {
		return fmt.Sprintf("%s (class %d) is already shown.", m.Explainer.Label(k), k), false
	}
	s.req.Classes = append(s.req.Classes, k)
	s.rerun()
	return fmt.Sprintf("Added %s (class %d).", m.Explainer.Label(k), k), true
}

// RemoveClass takes the searched class k off the tiles.
func (s *Session) RemoveClass(k int) {
	i := slices.Index(s.req.Classes, k)
	if i < 0 {
		return
	}
	s.req.Classes = slices.Delete(slices.Clone(s.req.Classes), i, i+1)
	s.rerun()
}

// SearchedClasses are the classes added by search, in order.
func (s *Session) SearchedClasses() []int { return s.req.Classes }

// ClassLabel is the first model's label of class k.
func (s *Session) ClassLabel(k int) string {
	if len(s.models) == 0 {
		return fmt.Sprintf("class %d", k)
	}
	return s.models[0].Explainer.Label(k)
}

// SetKeepClasses keeps the searched classes for the next photo; by
// default a photo starts with none.
func (s *Session) SetKeepClasses(keep bool) { s.keepClasses = keep }

// KeepClasses reports whether the searched classes stay for the next photo.
func (s *Session) KeepClasses() bool { return s.keepClasses }

// SetOpacity changes the heat's opacity (clamped to 0 to 1) and re-blends.
func (s *Session) SetOpacity(v float64) {
	s.view.Opacity = min(max(v, 0), 1)
	s.show()
}

// SetColormap re-colours the maps.
func (s *Session) SetColormap(cm *render.Colormap) {
	s.view.Colormap = cm
	s.show()
}

// SetBox turns the localisation box on or off.
func (s *Session) SetBox(on bool) {
	s.view.Box = on
	s.show()
}

// SetContour turns the outline of the box's region on or off.
func (s *Session) SetContour(on bool) {
	s.view.Contour = on
	s.show()
}

// SetThreshold sets the box's and contour's threshold, a fraction of the
// scaled map.
func (s *Session) SetThreshold(t float64) {
	s.view.BoxThreshold = t
	s.show()
}

// SetScale chooses which maps share a scale; the scene is prepared again
// (the model does not run).
func (s *Session) SetScale(sc display.Scale) {
	if s.view.Scale == sc {
		return
	}
	s.view.Scale = sc
	s.rebuildScene()
}

// ScaleChoice is a way of scaling the maps, as the window offers it.
type ScaleChoice struct {
	Scale display.Scale
	Name  string
	Help  string // what it means
}

// ScaleChoices are the scales offered for what is shown: per tile or
// shared with one row; with several, per tile, per row (model or method)
// and one raw scale, which raw values of different models or methods do
// not make meaningful.
func (s *Session) ScaleChoices() []ScaleChoice {
	tile := ScaleChoice{display.PerTile, "Per tile", "Each map on its own scale: every tile shows where its class looks, not how strongly."}
	if len(s.results) < 2 {
		return []ScaleChoice{tile, {display.PerResult, "Shared", "One scale for all classes: their strengths compare."}}
	}
	row, what := "Per model", "models"
	if s.methods != nil {
		row, what = "Per method", "methods"
	}
	return []ScaleChoice{
		tile,
		{display.PerResult, row, "One scale per row: the classes of a row compare, rows keep their own scale."},
		{display.OneScale, "One raw scale", fmt.Sprintf("One scale for every row: raw values of different %s are not comparable, so a row may look flat.", what)},
	}
}

// CurrentScale is the choice the view's scale is among ScaleChoices: one
// raw scale over one row is the shared scale.
func (s *Session) CurrentScale() ScaleChoice {
	choices := s.ScaleChoices()
	for _, c := range choices {
		if c.Scale == s.view.Scale {
			return c
		}
	}
	return choices[len(choices)-1]
}

// show re-renders the scene's tiles for the view: no model runs.
func (s *Session) show() {
	if s.scene != nil {
		s.scene.Show(s.view)
	}
}

// Photo is the photo shown, or nil.
func (s *Session) Photo() *photo.Photo { return s.photo }

// PhotoPath is the file the photo came from ("" for the sample).
func (s *Session) PhotoPath() string { return s.photoPath }

// Models are the models shown, one row each.
func (s *Session) Models() []*explain.Model { return s.models }

// Request is what the next run asks.
func (s *Session) Request() explain.Request { return s.req }

// ClassesNote says how the rows of models with another class list than the
// first were given the same classes, or why they show their own; "" when
// every row matched by index.
func (s *Session) ClassesNote() string { return strings.Join(s.classNotes, " ") }

// SameClasses reports whether every row shows the first row's classes.
func (s *Session) SameClasses() bool { return s.sameClasses }

// View is how maps are shown now.
func (s *Session) View() display.View { return s.view }

// Results are the latest run's results, one per model.
func (s *Session) Results() []*explain.Result { return s.results }

// Scene is the results prepared for display as the view says, or nil.
func (s *Session) Scene() *display.Scene { return s.scene }

// Busy reports whether a run is in flight.
func (s *Session) Busy() bool { return s.busy }

// Progress is how far the run in flight is (zero before its first row).
func (s *Session) Progress() Progress { return s.progress }

// Took is how long the latest run took.
func (s *Session) Took() time.Duration { return s.took }

// sentence starts msg with a capital and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
