"""ARM templates: the expression language (`expressions`, `functions`, `scope`) and the template loader."""
