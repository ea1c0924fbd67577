package web

// editorMessages holds the Dutch and English texts of the editor: toolbar, dialogs, preview, upload. It is never written to.
var editorMessages = map[string][2]string{}
