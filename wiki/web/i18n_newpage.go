package web

// newPageMessages holds the Dutch and English texts of the new-page form, templates, page fields and section editing. It is never written to.
var newPageMessages = map[string][2]string{}
