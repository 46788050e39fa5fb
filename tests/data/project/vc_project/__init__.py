VALUE = "v1"
