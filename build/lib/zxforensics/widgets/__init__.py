"""ipywidgets views over the investigations: compositions of child widgets whose every
action is a plain function of the package, so tests call them without a browser."""
