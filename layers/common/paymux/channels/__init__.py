"""Payment channels behind one interface (`base.Channel`), registered in `registry`."""
