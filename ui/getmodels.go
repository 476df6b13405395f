package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camscope/app/catalogue"
)

func (a *App) modelDir() (string, error) {
	if a.opts.ModelDir != "" {
		return a.opts.ModelDir, nil
	}
	return catalogue.CacheDir()
}

func (a *App) catalogueBase() string {
	if a.opts.CatalogueBase != "" {
		return a.opts.CatalogueBase
	}
	return catalogue.ZooBase
}

// download is one catalogue row of the Get models dialog.
type download struct {
	a      *App
	entry  catalogue.Entry
	dir    string // the model folder
	status *widget.Label
	bar    *widget.ProgressBar
	get    *widget.Button
	use    *widget.Button
	stop   *widget.Button
	cancel context.CancelFunc
	done   chan struct{} // closed when a download ends (tests wait on it)
}

// GetModelsDialog lists the catalogue: download with progress and cancel,
// and open what is installed.
func (a *App) GetModelsDialog() {
	dir, err := a.modelDir()
	if err != nil {
		a.showError(err)
		return
	}
	list := container.NewVBox()
	a.downloads = nil
	for _, e := range catalogue.Catalogue {
		dl := a.newDownload(e, dir)
		a.downloads = append(a.downloads, dl)
		name := widget.NewLabelWithStyle(e.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		buttons := container.NewHBox(dl.get, dl.stop, dl.use)
		facts := note()
		showNote(facts, e.Facts())
		list.Add(container.NewBorder(nil, nil, nil, container.NewCenter(buttons), container.NewVBox(name, facts, dl.status, dl.bar)))
		list.Add(widget.NewSeparator())
	}
	help := note()
	help.SetText("ImageNet classifiers from the ONNX Model Zoo, kept in " + dir + ". Each download is checked against its SHA-256 checksum. Models you already have work offline.")
	d := dialog.NewCustom("Get models", "Close", container.NewBorder(nil, help, nil, nil, container.NewVScroll(list)), a.Window)
	d.SetOnClosed(func() {
		for _, dl := range a.downloads {
			dl.Cancel()
		}
	})
	d.Resize(fyne.NewSize(640, 560))
	d.Show()
}

func (a *App) newDownload(e catalogue.Entry, dir string) *download {
	dl := &download{a: a, entry: e, dir: dir, status: note(), bar: widget.NewProgressBar()}
	dl.get = widget.NewButtonWithIcon("Download", theme.DownloadIcon(), dl.Start)
	dl.use = widget.NewButtonWithIcon("Open", theme.ConfirmIcon(), func() { a.OpenModel(dl.path()) })
	dl.use.Importance = widget.HighImportance
	dl.stop = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), dl.Cancel)
	dl.bar.Hide()
	dl.stop.Hide()
	dl.showInstalled()
	return dl
}

func (dl *download) path() string { return filepath.Join(dl.dir, dl.entry.File()) }

// showInstalled offers Open for a model whose file is there with the
// catalogue's checksum, Download otherwise.
func (dl *download) showInstalled() {
	if catalogue.Verified(dl.dir, dl.entry) {
		dl.status.SetText(catalogue.HumanSize(dl.entry.Size) + " · installed")
		dl.get.Hide()
		dl.use.Show()
		return
	}
	dl.status.SetText(catalogue.HumanSize(dl.entry.Size) + " · sha256 " + dl.entry.SHA256[:12] + "…")
	dl.get.Show()
	dl.use.Hide()
}

// Start downloads the entry in the background.
func (dl *download) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	dl.cancel = cancel
	dl.done = make(chan struct{})
	done := dl.done
	dl.get.Hide()
	dl.stop.Show()
	dl.bar.SetValue(0)
	dl.bar.Show()
	dl.status.SetText("Starting…")
	var last time.Time
	progress := func(n, total int64) {
		if time.Since(last) < 50*time.Millisecond && n < total {
			return
		}
		last = time.Now()
		dl.a.opts.Do(func() {
			dl.bar.SetValue(float64(n) / float64(max(total, 1)))
			dl.status.SetText(fmt.Sprintf("%s of %s", catalogue.HumanSize(n), catalogue.HumanSize(total)))
		})
	}
	go func() {
		defer close(done)
		_, err := catalogue.Download(ctx, nil, dl.a.catalogueBase(), dl.entry, dl.dir, progress)
		dl.a.opts.Do(func() {
			dl.stop.Hide()
			dl.bar.Hide()
			dl.showInstalled()
			switch {
			case errors.Is(err, context.Canceled):
				dl.status.SetText("Cancelled.")
			case err != nil:
				dl.status.SetText("Failed.")
				dl.a.showError(err)
			}
		})
	}()
}

// Cancel stops a download in flight.
func (dl *download) Cancel() {
	if dl.cancel != nil {
		dl.cancel()
	}
}
