package registry

// TEMPORARY until the registry branch lands: the real offline check.
func CheckKeyFormat(b []byte) bool { return len(b) == 53 && string(b[:4]) == "lrk_" }
