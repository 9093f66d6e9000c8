using Preconfig.Cli;

// The preconfig command, initramfs edition (dist/initramfs/preconfig): only the verbs an initramfs runs (capture,
// verify, preinit). It writes through plain descriptors always: it never reads the terminal.
PlainConsole.Use();
return CliRunner.Run(Verbs.Root(args, Verbs.SharedVerbs()), args);
