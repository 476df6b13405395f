package cam

import (
	"context"
	"slices"
	"testing"

	"camscope/assets"
	"camscope/inference"
)

// TestLayers checks the candidate layers of the built-in model and of
// resnet18: from the first convolution's output to the discovered feature
// map, which is last and the only one marked, each a 4-D tensor New takes
// (CAM then applies only at the discovered one).
func TestLayers(t *testing.T) {
	shapes, err := inference.LoadBytes("shapes", assets.ShapesModel, inference.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m           *inference.Model
		n           int
		first, last string
	}{
		{shapes, 7, "relu1", "features"},
		{sharedModel(t, "reference", "resnet18"), 0, "relu", "layer4.1 relu_1"},
	} {
		t.Run(tc.m.Name, func(t *testing.T) {
			layers := Layers(tc.m)
			if tc.n != 0 && len(layers) != tc.n || len(layers) < 2 {
				t.Fatalf("%d layers, want %d: %v", len(layers), tc.n, layers)
			}
			h, err := DiscoverHead(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			first, last := layers[0], layers[len(layers)-1]
			if first.Short != tc.first || last.Short != tc.last || last.Name != h.Feature || !last.Discovered {
				t.Errorf("first %+v, last %+v; want %q to %q (discovered)", first, last, tc.first, tc.last)
			}
			if first.H <= last.H || first.C >= last.C {
				t.Errorf("the first layer %dx%dx%d is not finer than the last %dx%dx%d", first.C, first.H, first.W, last.C, last.H, last.W)
			}
			seen := map[string]bool{}
			for _, l := range layers[:len(layers)-1] {
				if l.Discovered || seen[l.Name] {
					t.Errorf("%s marked discovered or listed twice", l.Name)
				}
				seen[l.Name] = true
			}
			e, err := New(tc.m, nil, first.Name)
			if err != nil {
				t.Fatalf("New at %s: %v", first.Name, err)
			}
			if ok, _ := e.SupportsCAM(); ok {
				t.Errorf("CAM applies at %s", first.Name)
			}
		})
	}
}

func TestShortLayerName(t *testing.T) {
	for in, want := range map[string]string{
		"/layer4/layer4.1/relu_1/Relu_output_0":                  "layer4.1 relu_1",
		"/layer4/layer4.0/downsample/downsample.0/Conv_output_0": "layer4.0 downsample.0 Conv",
		"/features/features.2/Relu_output_0":                     "features.2 Relu",
		"/relu/Relu_output_0":                                    "relu",
		"relu3":                                                  "relu3",
		"MobilenetV2/Conv/Relu6":                                 "MobilenetV2 Conv Relu6",
		"MobilenetV2/expanded_conv_14/expand/Relu6":              "expanded_conv_14 expand Relu6",
	} {
		if got := ShortLayerName(in); got != want {
			t.Errorf("ShortLayerName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLayerMaps checks that one pass over every layer of vgg_small gives,
// layer by layer, the map an explainer at that layer alone gives, for a
// gradient method, one without gradient, and that it refuses
// augmentation smoothing.
func TestLayerMaps(t *testing.T) {
	_, input := loadRef(t)
	m := sharedModel(t, "reference", "vgg_small")
	var names []string
	for _, l := range Layers(m) {
		names = append(names, l.Name)
	}
	all, err := NewLayers(m, nil, names)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, method := range []Method{GradCAM, LayerCAM, EigenCAM} {
		p, err := all.Forward(ctx, input, method)
		if err != nil {
			t.Fatal(err)
		}
		k := p.Top(1)[0].Index
		maps, err := p.LayerMaps(k)
		if err != nil {
			t.Fatal(err)
		}
		if len(maps) != len(names) {
			t.Fatalf("%s: %d maps for %d layers", method, len(maps), len(names))
		}
		for i, name := range names {
			one, err := New(m, nil, name)
			if err != nil {
				t.Fatal(err)
			}
			q, err := one.Forward(ctx, input, method)
			if err != nil {
				t.Fatal(err)
			}
			want, err := q.Map(k)
			if err != nil {
				t.Fatal(err)
			}
			if maps[i].W != want.W || maps[i].H != want.H || !slices.Equal(maps[i].Data, want.Data) {
				t.Errorf("%s at %s: the map of every layer at once differs from the layer's own", method, name)
			}
		}
	}
	p, err := all.ForwardOptions(ctx, input, GradCAM, Options{AugSmooth: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.LayerMaps(0); err == nil {
		t.Error("LayerMaps took augmentation smoothing")
	}
}
