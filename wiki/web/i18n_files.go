package web

// fileMessages holds the Dutch and English texts of attachments and their reduced images. It is never written to.
var fileMessages = map[string][2]string{}
