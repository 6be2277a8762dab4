"""Pure mail functions, no models: sanitizing, template rendering, HTML to text, MIME building,
header safety, Message-IDs, reading what mail servers send back. Imports no app of ours."""
