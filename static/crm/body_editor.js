// The editor of mail bodies (correspondence/editor.py): django-prose-editor's Tiptap bundle on
// every textarea with a data-body-editor attribute. A module loaded from our static files that
// imports the bundle by its path, so no import map (an inline script) is needed under the
// Content-Security-Policy. The toolbar's settings are the attribute's JSON:
// {"variables": [{"name": "first_name", "label": "First name"}, ...], "unsubscribeLink": bool}.
import {
  Blockquote,
  Bold,
  BulletList,
  Document,
  Dropcursor,
  Gapcursor,
  HardBreak,
  Heading,
  History,
  HorizontalRule,
  HTML,
  Image,
  Italic,
  Link,
  ListItem,
  Menu,
  OrderedList,
  Paragraph,
  Strike,
  Table,
  TableCell,
  TableHeader,
  TableRow,
  Text,
  TextAlign,
  Underline,
  createMenuFromGroups,
  createTextareaEditor,
  crel,
  initializeEditors,
} from "../django_prose_editor/editor.js"

// What the renderer fills in at send time (mailkit/rendering.py); the link survives the
// editor's schema as an href (a relative URL to it) and the sanitizer likewise.
const UNSUBSCRIBE_LINK = '<a href="{{ unsubscribe_url }}">Unsubscribe</a>'

// prose-editor's default groups; "utility" holds its "edit HTML" (source view) button.
const STANDARD_GROUPS = [
  { group: "blockType -lists", type: "dropdown", minItems: 2 },
  { group: "lists" },
  { group: "nodes -blockType -lists" },
  { group: "marks" },
  { group: "link" },
  { group: "textAlign" },
  { group: "table" },
  { group: "history" },
  { group: "utility" },
]

function insertLink(editor, html) {
  // A link mark is inclusive while autolink is on: unset it so what is typed next is plain text.
  editor.chain().focus().insertContent(html).unsetMark("link").insertContent(" ").run()
}

function variablePicker(editor, variables) {
  const select = crel("select", {
    className: "body-editor__variables",
    title: "Insert a variable, filled in for each recipient when the mail is sent",
    "aria-label": "Insert a variable",
  })
  select.append(crel("option", { value: "", textContent: "Insert variable…" }))
  for (const { name, label } of variables) {
    select.append(crel("option", { value: name, textContent: label }))
  }
  select.addEventListener("change", () => {
    if (select.value) {
      editor.chain().focus().insertContent(`{{ ${select.value} }}`).run()
      select.value = ""
    }
  })
  return crel("div", { className: "prose-menubar__group" }, [select])
}

function unsubscribeButton(editor, buttons) {
  const button = buttons.text("Unsubscribe link", "Insert the link that unsubscribes the recipient")
  button.classList.add("body-editor__unsubscribe")
  button.removeAttribute("aria-label") // its name is the text it shows; the title explains
  button.addEventListener("click", (event) => {
    event.preventDefault()
    insertLink(editor, UNSUBSCRIBE_LINK)
  })
  return crel("div", { className: "prose-menubar__group" }, [button])
}

function toolbar(settings) {
  const standard = createMenuFromGroups(STANDARD_GROUPS)
  return ({ editor, buttons, menu }) => {
    const items = standard({ editor, buttons, menu })
    if (settings.variables?.length) items.push(variablePicker(editor, settings.variables))
    if (settings.unsubscribeLink) items.push(unsubscribeButton(editor, buttons))
    return items
  }
}

function createBodyEditor(textarea) {
  if (textarea.closest(".prose-editor")) return null
  const settings = JSON.parse(textarea.dataset.bodyEditor || "{}")
  const editor = createTextareaEditor(textarea, [
    Document,
    Paragraph,
    Text,
    HardBreak,
    Dropcursor,
    Gapcursor,
    History,
    HTML,
    Menu.configure({ items: toolbar(settings) }),
    Bold,
    Italic,
    Underline,
    Strike,
    Heading.configure({ levels: [1, 2, 3] }),
    BulletList,
    OrderedList,
    ListItem,
    Blockquote,
    HorizontalRule,
    Link,
    Image,
    Table,
    TableRow,
    TableHeader,
    TableCell,
    TextAlign.configure({ types: ["heading", "paragraph"] }),
  ])
  textarea.dispatchEvent(
    new CustomEvent("body-editor:ready", { detail: { editor }, bubbles: true }),
  )
  return editor
}

initializeEditors(createBodyEditor, "[data-body-editor]")
