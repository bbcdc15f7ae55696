module github.com/paymux/paymux-go

go 1.19
