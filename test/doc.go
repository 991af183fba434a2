// Package test holds the end-to-end tests: the real mypatients binary, built once, run as a
// process on its embedded demo parts (demo EHR, demo identity providers) with either a real
// redis-server or the embedded Redis, and driven over real HTTP like a browser and a SMART
// app would. Nothing here reaches into the gateway's packages: what these tests see is what a
// clinician's app sees.
package test
