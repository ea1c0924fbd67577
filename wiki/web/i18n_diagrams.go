package web

// diagramMessages holds the Dutch and English texts of diagrams and formulas. It is never written to.
var diagramMessages = map[string][2]string{}
