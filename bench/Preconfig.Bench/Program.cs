using BenchmarkDotNet.Running;

// One entry point for every benchmark class in this assembly; pick with --filter. Console figure modes first.
if (args.Length > 0 && args[0] == "handoff") return Preconfig.Bench.Handoff.HandoffFigures.Run(args[1..]);
if (args.Length > 0 && args[0] == "capture-phases") return Preconfig.Bench.Capture.CapturePhases.Run(args[1..]);
if (args.Length > 0 && args[0] == "scale") return Preconfig.Bench.Capture.ScaleFigures.Run(args[1..]);
if (args.Length > 0 && args[0] == "capture-check") return Preconfig.Bench.Capture.CaptureCheck.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
