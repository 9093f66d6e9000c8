using Preconfig.Cli;

// The preconfig command: a thin layer of verbs over the libraries. Each verb lives in its own folder and builds its
// Command here; behaviour sits in the libraries so it is tested without a console.
// The initramfs edition writes through plain descriptors always; the full one for the verbs both editions have,
// which print plain lines: the runtime's Console would set up the terminal first (a thread, a pipe, six sigactions).
#if INITRAMFS_EDITION
PlainConsole.Use();
#else
if (args.Length > 0 && Verbs.Shared.Contains(args[0])) PlainConsole.Use();
#endif
return CliRunner.Run(Verbs.Root(args), args);
