package npy

import (
	"fmt"
	"strconv"
	"strings"
)

// parseHeader decodes the header dict, a Python literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }
//
// It accepts exactly the subset NumPy writes (strings, True/False, tuples of
// non-negative integers), in any key order, with either quote style, and
// rejects everything else rather than guessing.
func parseHeader(s string) (header, error) {
	p := &litParser{s: strings.TrimRight(s, " \t\r\n\x00")}
	var h header
	seen := map[string]bool{}
	p.skipSpace()
	if !p.eat('{') {
		return h, fmt.Errorf("%w: header does not start with '{'", ErrHeader)
	}
	for {
		p.skipSpace()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, err
		}
		p.skipSpace()
		if !p.eat(':') {
			return h, fmt.Errorf("%w: missing ':' after key %q", ErrHeader, key)
		}
		p.skipSpace()
		if seen[key] {
			return h, fmt.Errorf("%w: key %q appears twice", ErrHeader, key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return h, err
			}
		case "fortran_order":
			if h.fortranOrder, err = p.boolean(); err != nil {
				return h, err
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, err
			}
		default:
			return h, fmt.Errorf("%w: unexpected key %q", ErrHeader, key)
		}
		p.skipSpace()
		if p.eat(',') {
			continue
		}
		p.skipSpace()
		if !p.eat('}') {
			return h, fmt.Errorf("%w: expected ',' or '}' at byte %d", ErrHeader, p.i)
		}
		break
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return h, fmt.Errorf("%w: trailing bytes after the header dict", ErrHeader)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("%w: key %q is missing", ErrHeader, k)
		}
	}
	return h, nil
}

type litParser struct {
	s string
	i int
}

func (p *litParser) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *litParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *litParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("%w: expected a quoted string at byte %d", ErrHeader, p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("%w: unterminated string", ErrHeader)
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", fmt.Errorf("%w: escape sequences are not supported", ErrHeader)
	}
	p.i += end + 2
	return v, nil
}

func (p *litParser) boolean() (bool, error) {
	switch {
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	}
	return false, fmt.Errorf("%w: expected True or False at byte %d", ErrHeader, p.i)
}

// tuple parses "()", "(3,)", "(1, 3, 224, 224)" and, as NumPy 1.x wrote on
// some platforms, "(3L,)".
func (p *litParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("%w: shape is not a tuple", ErrHeader)
	}
	shape := []int{}
	for {
		p.skipSpace()
		if p.eat(')') {
			return shape, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, fmt.Errorf("%w: shape holds something other than non-negative integers", ErrHeader)
		}
		d, err := strconv.Atoi(p.s[start:p.i])
		if err != nil || d > MaxElements {
			return nil, fmt.Errorf("%w: dimension %s in shape", ErrTooLarge, p.s[start:p.i])
		}
		p.eat('L')
		shape = append(shape, d)
		if len(shape) > maxRank {
			return nil, fmt.Errorf("%w: shape has more than %d dimensions", ErrHeader, maxRank)
		}
		p.skipSpace()
		if p.eat(',') {
			continue
		}
		p.skipSpace()
		if !p.eat(')') {
			return nil, fmt.Errorf("%w: expected ',' or ')' in shape", ErrHeader)
		}
		if len(shape) == 1 {
			// Python's (3) is an int, not a tuple; NumPy always writes (3,).
			return nil, fmt.Errorf("%w: one-element shape without trailing comma", ErrHeader)
		}
		return shape, nil
	}
}

// formatHeader renders the dict the way NumPy does, unpadded.
func formatHeader(descr string, shape []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr)
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteString(",")
	}
	b.WriteString("), }")
	return b.String()
}
