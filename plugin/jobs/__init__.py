"""Jobs: the cover pipeline (validate, stage, submit, wait, save) and audio staging."""
