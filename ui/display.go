package ui

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"time"
)

// noDisplay says, as a sentence, why a window cannot open here, or "" if
// it can as far as can be told before starting the GUI: on Linux and the
// BSDs, an X11 or Wayland display must be named and an X11 one must
// answer. Starting the GUI without one stops the program with a stack
// trace from GLFW instead.
func noDisplay() string {
	switch runtime.GOOS {
	case "darwin", "windows", "android", "ios", "js":
		return ""
	}
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		return ""
	}
	d := os.Getenv("DISPLAY")
	if d == "" {
		return "there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set)"
	}
	if network, addr, ok := x11Address(d); ok {
		c, err := net.DialTimeout(network, addr, 2*time.Second)
		if err != nil {
			return fmt.Sprintf("the display %s does not answer (%v)", d, err)
		}
		c.Close()
	}
	return ""
}

// x11Address is where the X server of display name d (":1", "host:0.0",
// "unix:2") listens; ok is false for forms it does not know, which are
// then left to GLFW.
func x11Address(d string) (network, addr string, ok bool) {
	host, rest, found := strings.Cut(d, ":")
	if !found || strings.HasPrefix(host, "/") {
		return "", "", false
	}
	num, _, _ := strings.Cut(rest, ".")
	var n int
	if _, err := fmt.Sscanf(num, "%d", &n); err != nil || n < 0 {
		return "", "", false
	}
	if host == "" || host == "unix" {
		return "unix", fmt.Sprintf("/tmp/.X11-unix/X%d", n), true
	}
	return "tcp", net.JoinHostPort(host, fmt.Sprint(6000+n)), true
}
