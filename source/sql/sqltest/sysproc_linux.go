package sqltest

import "syscall"

// sysProcAttr makes a server die with the test binary, even killed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
