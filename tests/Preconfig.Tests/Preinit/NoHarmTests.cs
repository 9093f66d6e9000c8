using System.Text;
using System.Text.Json;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;
using Command = Preconfig.ConfigSpace.Registers.Command;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// Issue 11, "first, do no harm": quiesce without a snapshot, never write a byte that was not captured, follow the
/// kernel where it owns a register, reset only what is restored from scratch, signed by default, keep the crash's
/// error evidence. Written to fail on the code before it (run against it, each of these failed).
/// </summary>
public sealed class NoHarmTests() : TempDirectoryTest("preinit-noharm-")
{
    private static int Cli(params string[] args) => PreinitVerbTests.Run(args);

    private static SimulatedCrash Crash(string dump, int seed = 3) =>
        SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, dump)).Dirty(seed);

    /// <summary>An ordinary endpoint: header type 0 and nothing of it the kernel's (KernelOwnershipTests; these
    /// machines say nothing of boot_vga, so a VGA controller is taken for the console).</summary>
    private static bool Endpoint(byte[] cfg) => ConfigBytes.HeaderKind(cfg) == HeaderType.Normal && !KernelOwns(cfg);

    private static Preconfig.Preinit.Planning.KernelOwnedEntry? Owner(byte[] cfg) =>
        Preconfig.Preinit.Planning.KernelOwnership.Of(default, cfg, null, Preconfig.Preinit.Policy.ReplayPolicy.Default);

    /// <summary>The kernel owns the whole function: left as found, reported left-to-kernel.</summary>
    private static bool KernelOwns(byte[] cfg) => Owner(cfg) is { Part: Preconfig.Preinit.Planning.OwnedPart.Function };

    /// <summary>The console (boot VGA): quiesced, but its Bus Master and decode are the kernel's.</summary>
    private static bool Console(byte[] cfg) => Owner(cfg) is { Part: Preconfig.Preinit.Planning.OwnedPart.Decode };

    /// <summary>An endpoint whose Bus Master preinit turns off.</summary>
    private static bool Stopped(byte[] cfg) => Endpoint(cfg) && !Console(cfg);

    private static ushort U16(SimulatedFunction f, int offset) => f.Space.ReadWord(offset);

    private static void Poke16(SimulatedFunction f, int offset, uint value) => f.Space.Poke(offset, BitConverter.GetBytes((ushort)value));

    private static void Poke32(SimulatedFunction f, int offset, uint value) => f.Space.Poke(offset, BitConverter.GetBytes(value));

    private static int Cap(byte[] cfg, CapabilityId id) => CapabilityWalker.Walk(cfg).Find(id)!.Value.Offset;

    private static int Cap(byte[] cfg, ExtendedCapabilityId id) => CapabilityWalker.Walk(cfg).Find(id)!.Value.Offset;

    // ---- Item 1: quiesce every unbound endpoint, matched or not, and with no snapshot at all ----

    /// <summary>A firmware machine file, a dirtied copy ("the kernel ran", one endpoint driver-bound), a corrupt
    /// handoff of the firmware state, and a capture-kernel command line.</summary>
    private (string Firmware, string Run, string Blob, string Cmdline, PciAddress Bound) CorruptHandoff()
    {
        string fw = Path.Combine(Dir, "fw.json"), run = Path.Combine(Dir, "run.json"), blob = Path.Combine(Dir, "handoff.pcfg");
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), fw);
        Assert.Equal(0, Cli("capture", "--source", $"sim:{fw}", "--out", $"file:{blob}"));
        var bytes = File.ReadAllBytes(blob);
        for (int i = 0; i < 8; i++) bytes[bytes.Length / 2 + i] ^= 0xff;
        File.WriteAllBytes(blob, bytes);
        var m = SimulatedMachine.Load(fw);
        var bound = m.Functions.First(f => Endpoint(f.Space.Snapshot())).Address;
        m[bound].Driver = "snd_hda_intel";
        m.Save(run);
        Assert.Equal(0, Cli("sim", "dirty", run, "--seed", "4"));
        string cmdline = Path.Combine(Dir, "cmdline");
        File.WriteAllText(cmdline, "root=/dev/vda1 reset_devices elfcorehdr=0x1000\n");
        return (fw, run, blob, cmdline, bound);
    }

    [Fact]
    public void With_a_corrupt_handoff_every_unbound_endpoint_is_quiesced_and_nothing_else_written()
    {
        var (_, run, blob, cmdline, bound) = CorruptHandoff();
        var dirty = SimulatedMachine.Load(run);
        string report = Path.Combine(Dir, "report.json"), kmsg = Path.Combine(Dir, "kmsg");
        Assert.Equal(0, Cli("preinit", "--boot", "--from", $"file:{blob}", "--target", $"sim:{run}", "--cmdline", cmdline,
            "--vmcore", Path.Combine(Dir, "no-vmcore"), "--kmsg", kmsg, "--report", report));
        var after = SimulatedMachine.Load(run);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var outcomes = doc.RootElement.GetProperty("devices").EnumerateArray()
            .ToDictionary(d => d.GetProperty("address").GetString()!, d => d.GetProperty("outcome").GetString());
        int quiesced = 0;
        foreach (var f in after.Functions)
        {
            byte[] was = dirty[f.Address].Space.Snapshot(), now = f.Space.Snapshot();
            if (!Endpoint(was) || f.Address == bound)
            {
                Assert.True(was.AsSpan().SequenceEqual(now), $"{f.Address}: written, but a bridge, driver-bound or the kernel's");
                Assert.Equal(KernelOwns(was) && f.Address != bound ? "left-to-kernel" : "skipped", outcomes[f.Address.ToString()]);
                continue;
            }
            quiesced++;
            if (Console(was)) Assert.Equal(was[Header.Command] & (byte)Command.BusMaster, now[Header.Command] & (byte)Command.BusMaster);
            else Assert.False(f.Space.DmaAllowed, $"{f.Address}: Bus Master left on");
            Assert.NotEqual(0, U16(f, Header.Command) & (int)Command.IntxDisable);
            var walk = CapabilityWalker.Walk(now);
            if (walk.Find(CapabilityId.Msi) is { } msi) Assert.Equal(0, U16(f, msi.Offset + Msi.Flags) & Msi.FlagsEnable);
            if (walk.Find(CapabilityId.MsiX) is { } msix) Assert.Equal(0, U16(f, msix.Offset + MsiX.Flags) & MsiX.FlagsEnable);
            // Nothing is restored from a damaged handoff: the kernel's Interrupt Line stays, decode stays on.
            Assert.Equal(was[Header.InterruptLine], now[Header.InterruptLine]);
            Assert.Equal(was[Header.Command] & (byte)(Command.Memory | Command.Io), now[Header.Command] & (byte)(Command.Memory | Command.Io));
            Assert.Equal("quiesced", outcomes[f.Address.ToString()]);
        }
        Assert.True(quiesced >= 5, $"{quiesced} quiesced");
        Assert.Contains("unbound endpoints are quiesced only", File.ReadAllText(kmsg));
    }

    [Fact]
    public void With_no_store_given_at_all_boot_mode_still_quiesces()
    {
        var (_, run, _, cmdline, bound) = CorruptHandoff();
        string kmsg = Path.Combine(Dir, "kmsg");
        Assert.Equal(0, Cli("preinit", "--boot", "--target", $"sim:{run}", "--cmdline", cmdline,
            "--vmcore", Path.Combine(Dir, "no-vmcore"), "--kmsg", kmsg));
        var after = SimulatedMachine.Load(run);
        Assert.All(after.Functions.Where(f => Stopped(f.Space.Snapshot()) && f.Address != bound), f => Assert.False(f.Space.DmaAllowed));
        Assert.True(after[bound].Space.DmaAllowed); // a driver's function is not ours
        Assert.Contains("no --from store given: nothing restored; unbound endpoints are quiesced only", File.ReadAllText(kmsg));
    }

    [Fact]
    public void The_policy_can_turn_the_quiesce_of_unmatched_functions_off()
    {
        var (_, run, blob, cmdline, _) = CorruptHandoff();
        var before = SimulatedMachine.Load(run);
        string policy = Path.Combine(Dir, "policy.json");
        File.WriteAllText(policy, """{"quiesceUnmatched": false}""");
        Assert.Equal(0, Cli("preinit", "--boot", "--from", $"file:{blob}", "--target", $"sim:{run}", "--cmdline", cmdline,
            "--vmcore", Path.Combine(Dir, "no-vmcore"), "--kmsg", Path.Combine(Dir, "kmsg"), "--policy", policy));
        var after = SimulatedMachine.Load(run);
        Assert.All(after.Functions, f => Assert.True(before[f.Address].Space.Snapshot().AsSpan().SequenceEqual(f.Space.Snapshot()), $"{f.Address} written"));
        Assert.Contains(after.Functions, f => f.Space.DmaAllowed); // left as the kernel had them
    }

    [Fact]
    public void New_and_mismatched_endpoints_are_quiesced_and_reported_so_never_restored()
    {
        var crash = Crash("pciutils-tests/tree-asus-p6t6", seed: 8);
        var endpoints = crash.Machine.Functions.Where(f => Stopped(crash.Firmware[f.Address])).Select(f => f.Address).ToList();
        PciAddress added = endpoints[1], mismatched = endpoints[2];
        var snapshot = new Snapshot
        {
            CapturedAt = crash.Snapshot.CapturedAt,
            Devices = [.. crash.Snapshot.Devices.Where(d => d.Address != added).Select(d => d.Address != mismatched ? d
                : new DeviceRecord { Address = d.Address, Config = [.. d.Config.Select((b, i) => i == Header.RevisionId ? (byte)(b ^ 1) : b)] })],
        };
        byte[] addedBefore = crash.Machine[added].Space.Snapshot();
        crash.WithSnapshot(snapshot).Preinit();
        foreach (var a in new[] { added, mismatched })
        {
            var f = crash.Machine[a];
            Assert.Equal("quiesced", crash.Outcome(a).Outcome);
            Assert.False(f.Space.DmaAllowed);
            Assert.NotEqual(0, U16(f, Header.Command) & (int)Command.IntxDisable);
            Assert.All(crash.Plan!.StepsFor(a), s => Assert.Equal(StepPhase.Quiesce, s.Phase));
        }
        Assert.Equal(addedBefore[Header.InterruptLine], crash.Machine[added].Space.Snapshot()[Header.InterruptLine]);
        Assert.StartsWith("new: present now, not in the snapshot; quiesced", crash.Outcome(added).Reason);
        Assert.Contains("quiesced", crash.Report!.Summary);
    }

    // ---- Item 3: never write a byte that was not captured ----

    /// <summary>Firmware's config of every function as lspci text, with the victim's rows edited: a row comes
    /// out as <paramref name="keep"/>(row offset) of its bytes (0: left out).</summary>
    private static string FirmwareDump(SimulatedCrash crash, PciAddress victim, Func<int, int> keep)
    {
        var sb = new StringBuilder();
        foreach (var f in crash.Machine.Functions)
        {
            var text = new StringWriter();
            LspciDumpWriter.Write(text, f.Address, crash.Firmware[f.Address]);
            foreach (var line in text.ToString().Split('\n'))
            {
                int colon = line.IndexOf(':');
                if (f.Address == victim && colon is 2 or 3 && int.TryParse(line[..colon], System.Globalization.NumberStyles.HexNumber, null, out int row)
                    && line.Length > colon + 1 && line[colon + 1] == ' ')
                {
                    int n = keep(row);
                    if (n > 0) sb.Append(line[..(colon + 1 + 3 * n)]).Append('\n');
                    continue;
                }
                sb.Append(line).Append('\n');
            }
        }
        return sb.ToString();
    }

    private Snapshot CaptureFromText(string text, string name = "cut.txt")
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllText(path, text);
        var capture = new LspciSource(new FileSystem(), path).Capture();
        return new Snapshot { CapturedAt = DateTimeOffset.UtcNow, Devices = capture.Devices };
    }

    [Fact]
    public void Bytes_a_dump_did_not_hold_are_never_written_and_the_report_names_them()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        var nic = PciAddress.Parse("0000:03:00.0");
        var fn = crash.Machine[nic];
        int exp = Cap(crash.Firmware[nic], CapabilityId.Express);
        int devCtl = exp + PciExpress.DevCtl, lnkCtl = exp + PciExpress.LnkCtl;
        Assert.NotEqual(0, devCtl % 16); // the row holding DevCtl can be cut just before it
        // Firmware's dump, with the DevCtl row ending just before DevCtl and the LnkCtl row after LnkCtl's first byte.
        crash.WithSnapshot(CaptureFromText(FirmwareDump(crash, nic, row =>
            row == (devCtl & ~0xf) ? devCtl % 16 : row == (lnkCtl & ~0xf) ? lnkCtl % 16 + 1 : 16)));
        Poke16(fn, lnkCtl, (uint)(U16(fn, lnkCtl) ^ PciExpress.LnkCtlClockPm));
        ushort dirtyDevCtl = U16(fn, devCtl), dirtyLnkCtl = U16(fn, lnkCtl);
        Assert.NotEqual(ConfigBytes.U16(crash.Firmware[nic], devCtl), dirtyDevCtl);

        crash.Preinit();
        var outcome = crash.Outcome(nic);
        Assert.Equal("restored", outcome.Outcome);
        Assert.Equal(dirtyDevCtl, U16(fn, devCtl));
        Assert.Equal(dirtyLnkCtl, U16(fn, lnkCtl));
        Assert.DoesNotContain(fn.Space.Writes, w => w.Offset <= devCtl + 1 && w.Offset + w.Width > devCtl);
        Assert.DoesNotContain(fn.Space.Writes, w => w.Offset <= lnkCtl + 1 && w.Offset + w.Width > lnkCtl);
        Assert.Contains("not captured", outcome.Reason);
        Assert.Contains("CAP_EXP+8.w", outcome.Reason);
        Assert.Contains("CAP_EXP+10.w", outcome.Reason);
        Assert.Equal(crash.Firmware[nic][Header.InterruptLine], fn.Space.Snapshot()[Header.InterruptLine]); // the rest is restored
        using var doc = JsonDocument.Parse(crash.Report!.ToJson());
        var left = doc.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("address").GetString() == nic.ToString()).GetProperty("leftOut");
        Assert.Contains(left.EnumerateArray(), e => e.GetString()!.StartsWith("CAP_EXP+8.w: byte(s) 0x68-0x69 not captured", StringComparison.Ordinal));
    }

    [Fact]
    public void Which_bytes_were_captured_crosses_the_handoff_in_the_origins_with_no_format_change()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        var nic = PciAddress.Parse("0000:03:00.0");
        string path = Path.Combine(Dir, "cut.txt");
        File.WriteAllText(path, FirmwareDump(crash, nic, row => row == 0x60 ? 8 : row == 0x80 ? 0 : 16));
        var capture = new LspciSource(new FileSystem(), path).Capture();
        var warning = Assert.Single(capture.Warnings);
        Assert.Matches(@"cut\.txt:\d+: 0000:03:00\.0: bytes 0x68-0x6f, 0x80-0x8f of its 4096 are not in the dump", warning);
        var record = capture.Devices.Single(d => d.Address == nic);
        var blob = Preconfig.Handoff.Blob.HandoffBlob.Write(new Snapshot { Devices = capture.Devices });
        var back = Preconfig.Handoff.Blob.HandoffBlob.Read(blob).Snapshot.Devices.Single(d => d.Address == nic);
        var known = Preconfig.Preinit.Matching.CapturedBytes.Of(back);
        Assert.Equal(Preconfig.Preinit.Matching.CapturedBytes.Of(record).Ranges, known.Ranges);
        Assert.Equal([(0x68, 8), (0x80, 16)], known.Gaps);
        // A record without origins (older captures, simple models) was captured whole.
        Assert.True(Preconfig.Preinit.Matching.CapturedBytes.Of(new DeviceRecord { Address = nic, Config = new byte[256] }).IsComplete);
    }

    [Fact]
    public void A_function_whose_identity_bytes_were_not_captured_is_not_restored()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        var nic = PciAddress.Parse("0000:03:00.0");
        // The row holding the subsystem ids (0x20) is missing from the dump.
        string cut = FirmwareDump(crash, nic, row => row == 0x20 ? 0 : 16);
        crash.WithSnapshot(CaptureFromText(cut)).Preinit();
        var o = crash.Outcome(nic);
        Assert.Contains("subsystem not captured", o.Reason);
        Assert.NotEqual("restored", o.Outcome);
        Assert.DoesNotContain(crash.Machine[nic].Space.Writes, w => w.Offset == Header.InterruptLine);
    }

    [Fact]
    public void A_truncated_capture_says_so_in_the_report()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        var nic = PciAddress.Parse("0000:03:00.0");
        var snapshot = new Snapshot
        {
            CapturedAt = crash.Snapshot.CapturedAt,
            Devices = [.. crash.Snapshot.Devices.Select(d => d.Address != nic ? d
                : new DeviceRecord { Address = d.Address, Config = d.Config[..64], Truncated = true })],
        };
        crash.WithSnapshot(snapshot).Preinit();
        Assert.Equal("restored", crash.Outcome(nic).Outcome);
        Assert.Contains("capture truncated to 64 bytes", crash.Outcome(nic).Reason);
        Assert.Equal(crash.Firmware[nic][Header.InterruptLine], crash.Machine[nic].Space.Snapshot()[Header.InterruptLine]);
    }

    // ---- Item 4: the kernel's order and ownership ----

    [Fact]
    public void L1_substates_follow_pci_restore_aspm_l1ss_state_with_the_aspm_off_window()
    {
        var crash = Crash("pciutils-tests/cap-exp-lnkcap2");
        PciAddress port = PciAddress.Parse("0000:00:1c.0"), gpu = PciAddress.Parse("0000:02:00.0");
        SimulatedFunction p = crash.Machine[port], c = crash.Machine[gpu];
        int pl1 = Cap(crash.Firmware[port], ExtendedCapabilityId.L1PmSubstates) + L1PmSubstates.Ctl1, cl1 = Cap(crash.Firmware[gpu], ExtendedCapabilityId.L1PmSubstates) + L1PmSubstates.Ctl1;
        int plnk = Cap(crash.Firmware[port], CapabilityId.Express) + PciExpress.LnkCtl, clnk = Cap(crash.Firmware[gpu], CapabilityId.Express) + PciExpress.LnkCtl;
        // The crashed kernel left: the port's L1.2 off and T_POWER_ON changed; the GPU's L1.2 on with another
        // threshold, and ASPM L1 on its link.
        Poke32(p, pl1, p.Space.ReadDword(pl1) & ~0xfu);
        Poke32(p, pl1 + 4, p.Space.ReadDword(pl1 + 4) ^ 0x08);
        Poke32(c, cl1, (c.Space.ReadDword(cl1) ^ 0x00010000) | 0x5);
        Poke32(c, cl1 + 4, c.Space.ReadDword(cl1 + 4) ^ 0x10);
        Poke16(c, clnk, (uint)(U16(c, clnk) | 0x2));
        Assert.NotEqual(0u, ConfigBytes.U32(crash.Firmware[port], pl1) & 0x5); // firmware had L1.2 on at the port

        crash.Preinit();
        var steps = crash.Plan!.Steps.Select((s, i) => (s, i)).ToList();
        int At(PciAddress a, int offset, Func<PlanStep, bool>? also = null) =>
            steps.First(x => x.s.Address == a && x.s.Offset == offset && (also?.Invoke(x.s) ?? true)).i;
        var l1ss = steps.Where(x => (x.s.Address == port && x.s.Offset is var o && (o == pl1 || o == pl1 + 4))
            || (x.s.Address == gpu && (x.s.Offset == cl1 || x.s.Offset == cl1 + 4))).Select(x => x.i).ToList();
        int aspmOff = At(gpu, clnk, s => (s.Mask & 0x3) != 0 && (s.Value & 0x3) == 0);
        int gpuL12Off = At(gpu, cl1, s => s.Mask == LeftAlone.L1ssL12Enables && s.Value == 0);
        int portEnables = At(port, pl1, s => (s.Value & 0x5) != 0);
        // ASPM off first; then L1.2 off downstream before anything is written upstream; both T_POWER_ON before any
        // threshold; the port's enables last; then LnkCtl.
        Assert.True(aspmOff < l1ss.Min(), string.Join("\n", crash.Plan.Steps));
        Assert.Equal(gpuL12Off, l1ss.Min());
        Assert.True(At(port, pl1 + 4) < At(gpu, cl1 + 4));
        Assert.True(At(gpu, cl1 + 4) < At(port, pl1, s => s.Mask != LeftAlone.L1ssL12Enables));
        Assert.Equal(portEnables, steps.Where(x => x.s.Address == port && x.s.Offset == pl1).Max(x => x.i));
        Assert.True(steps.Where(x => x.s.Address == gpu && x.s.Offset == clnk).Max(x => x.i) > l1ss.Max());
        Assert.Empty(crash.Differences(port));
        Assert.Empty(crash.Differences(gpu));
    }

    [Fact]
    public void No_D_state_change_unless_the_policy_asks_and_then_with_the_10_ms_wait()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        var nic = PciAddress.Parse("0000:03:00.0");
        var fn = crash.Machine[nic];
        int pmcsr = Cap(crash.Firmware[nic], CapabilityId.PowerManagement) + PowerManagement.Ctrl;
        Poke16(fn, pmcsr, (uint)(U16(fn, pmcsr) | 0x3)); // left in D3hot
        crash.Preinit();
        Assert.Equal(3, U16(fn, pmcsr) & 0x3);
        Assert.DoesNotContain(fn.Space.Writes, w => w.Offset == pmcsr);
        Assert.Contains("power state D3 now, D0 captured", crash.Outcome(nic).Reason);

        // Nothing else dirtied: the only D-state change is this function's.
        var again = SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/cap-aer-root"));
        var fn2 = again.Machine[nic];
        Poke16(fn2, pmcsr, (uint)(U16(fn2, pmcsr) | 0x3 | PowerManagement.CtrlNoSoftReset));
        var waits = new List<(TimeSpan Wait, int Writes, int LastOffset)>();
        var options = new ApplyOptions { RetryDelay = TimeSpan.Zero, Sleep = t => waits.Add((t, fn2.Space.Writes.Count, fn2.Space.Writes[^1].Offset)) };
        again.Preinit(ReplayPolicy.Parse("""{"restorePowerState": true}"""), options);
        Assert.Equal(0, U16(fn2, pmcsr) & 0x3);
        var wait = Assert.Single(waits);
        Assert.Equal(TimeSpan.FromMilliseconds(10), wait.Wait);
        Assert.Equal(pmcsr, wait.LastOffset); // right after the PM Control write, before the next access
        Assert.True(wait.Writes < fn2.Space.Writes.Count);
        // The dry-run waits as well.
        string script = SetpciScript.Render(again.Plan!);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(script, $@"setpci -s {nic} CAP_PM\+4\.w=0x0[0-9a-f]{{3}}:0x8103\nsleep 0.01\n"), script);
    }

    [Fact]
    public void Acs_and_ari_are_the_kernels_unless_the_policy_asks()
    {
        PciAddress port = PciAddress.Parse("0000:00:02.0"), nic = PciAddress.Parse("0000:03:00.0");
        (SimulatedCrash Crash, int Acs, int Ari) Dirtied()
        {
            var crash = Crash("pciutils-tests/cap-aer-root");
            int acs = Cap(crash.Firmware[port], ExtendedCapabilityId.Acs) + Acs.Ctrl, ari = Cap(crash.Firmware[nic], ExtendedCapabilityId.Ari) + Ari.Ctrl;
            // What pci_enable_acs() and pci_configure_ari() would set: every ACS control the port has, ARI MFVC.
            Poke16(crash.Machine[port], acs, (uint)(U16(crash.Machine[port], acs) ^ (ConfigBytes.U16(crash.Firmware[port], acs - 2) & 0x1f)));
            Poke16(crash.Machine[nic], ari, (uint)(U16(crash.Machine[nic], ari) ^ 0x1));
            return (crash, acs, ari);
        }
        var (kernel, acsAt, ariAt) = Dirtied();
        ushort acsNow = U16(kernel.Machine[port], acsAt);
        kernel.Preinit();
        Assert.Equal(acsNow, U16(kernel.Machine[port], acsAt));
        Assert.DoesNotContain(kernel.Machine[port].Space.Writes, w => w.Offset == acsAt);
        Assert.DoesNotContain(kernel.Machine[nic].Space.Writes, w => w.Offset == ariAt);
        Assert.Contains("ACS control", kernel.Outcome(port).Reason);

        var (restored, _, _) = Dirtied();
        restored.Preinit(ReplayPolicy.Parse("""{"restoreAcs": true, "restoreAri": true}"""));
        Assert.Equal(ConfigBytes.U16(restored.Firmware[port], acsAt), U16(restored.Machine[port], acsAt));
        Assert.Contains(restored.Plan!.StepsFor(nic), s => s.Offset == ariAt); // the function's ARI control bits are read-only here
    }

    [Fact]
    public void Max_payload_size_stays_the_kernels_and_never_exceeds_the_parent_ports()
    {
        PciAddress port = PciAddress.Parse("0000:00:02.0"), nic = PciAddress.Parse("0000:03:00.0");
        SimulatedCrash Run(int portMps, int nicMps)
        {
            var crash = Crash("pciutils-tests/cap-aer-root");
            foreach (var (a, mps) in new[] { (port, portMps), (nic, nicMps) })
            {
                int at = Cap(crash.Firmware[a], CapabilityId.Express) + PciExpress.DevCtl;
                Poke16(crash.Machine[a], at, (uint)(U16(crash.Machine[a], at) & ~PciExpress.DevCtlPayloadMask) | (uint)(mps << 5));
            }
            crash.Preinit();
            return crash;
        }
        int Mps(SimulatedCrash c, PciAddress a) => (U16(c.Machine[a], Cap(c.Firmware[a], CapabilityId.Express) + PciExpress.DevCtl) & PciExpress.DevCtlPayloadMask) >> 5;
        int captured = (ConfigBytes.U16(Crash("pciutils-tests/cap-aer-root").Firmware[nic], 0x60 + PciExpress.DevCtl) & PciExpress.DevCtlPayloadMask) >> 5;
        Assert.Equal(1, captured); // 256 bytes in firmware
        // The capture kernel set both to 128 (pci_configure_mps): they stay so, not the captured 256.
        var same = Run(0, 0);
        Assert.Equal((0, 0), (Mps(same, port), Mps(same, nic)));
        Assert.Contains("Max Payload Size kept at 128 bytes", same.Outcome(nic).Reason);
        // A function left larger than its port is lowered to the port's.
        var larger = Run(0, 1);
        Assert.Equal(0, Mps(larger, nic));
    }

    [Fact]
    public void A_bridge_reset_that_would_reach_a_function_not_reset_from_scratch_is_not_done()
    {
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/tree-asus-p6t6")).Dirty(seed: 5);
        PciAddress vga = PciAddress.Parse("0000:06:00.0"), audio = PciAddress.Parse("0000:06:00.1");
        foreach (var f in crash.Machine.Functions) f.ResetMethods.Clear();
        crash.Machine[vga].BootVga = false;
        // The VGA function may be reset, but only by FLR, which it does not offer: it gets no reset step. The audio
        // function may use its parent bridge's secondary bus reset, which would reach the VGA function too.
        var policy = ReplayPolicy.Parse("""
            {"reset": [{"match": "class:03", "reset": "if-supported", "methods": ["flr"]},
                       {"match": "class:0403", "reset": "if-supported", "methods": ["bridge"]}]}
            """);
        crash.Preinit(policy, new ApplyOptions { RetryDelay = TimeSpan.Zero, Sleep = _ => { } });
        Assert.Equal(0, crash.Machine[vga].Space.ResetCount);
        Assert.Equal(0, crash.Machine[audio].Space.ResetCount);
        Assert.Contains("0000:06:00.0 below", crash.Outcome(audio).Reason);
        Assert.Empty(crash.Differences(vga));
        Assert.Empty(crash.Differences(audio));
    }

    // ---- Item 7: the error status the crash left is recorded before it is cleared ----

    [Fact]
    public void Cleared_error_status_is_recorded_in_the_report_and_one_kernel_log_line_per_function()
    {
        string fw = Path.Combine(Dir, "fw.json"), run = Path.Combine(Dir, "run.json"), blob = Path.Combine(Dir, "handoff.pcfg");
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), fw);
        File.Copy(fw, run);
        Assert.Equal(0, Cli("capture", "--source", $"sim:{fw}", "--out", $"file:{blob}"));
        Assert.Equal(0, Cli("sim", "dirty", run, "--seed", "6"));
        var dirty = SimulatedMachine.Load(run);
        string report = Path.Combine(Dir, "report.json"), kmsg = Path.Combine(Dir, "kmsg");
        Assert.Equal(0, Cli("preinit", "--from", $"file:{blob}", "--target", $"sim:{run}", "--report", report, "--kmsg", kmsg));

        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var lines = File.ReadAllLines(kmsg).Where(l => l.Contains("error status before clearing")).ToList();
        int recorded = 0;
        foreach (var d in doc.RootElement.GetProperty("devices").EnumerateArray())
        {
            var address = PciAddress.Parse(d.GetProperty("address").GetString()!);
            var was = dirty[address].Space.Snapshot();
            bool hadErrors = (ConfigBytes.U16(was, Header.Status) & (ushort)Status.ErrorBits) != 0;
            if (!hadErrors || KernelOwns(was)) continue; // the kernel's functions are not touched, their errors neither
            recorded++;
            var cleared = d.GetProperty("clearedErrors").EnumerateArray().ToList();
            var status = cleared.Single(c => c.GetProperty("register").GetString() == "STATUS");
            Assert.Equal($"0x{ConfigBytes.U16(was, Header.Status):x4}", status.GetProperty("value").GetString());
            foreach (var c in cleared)
            {
                int offset = c.GetProperty("offset").GetInt32();
                string value = c.GetProperty("value").GetString()!;
                uint expected = value.Length == 6 ? ConfigBytes.U16(was, offset) : ConfigBytes.U32(was, offset);
                Assert.Equal(expected, Convert.ToUInt32(value, 16));
            }
            var line = Assert.Single(lines, l => l.Contains($"preconfig: {address} error status before clearing:"));
            Assert.Contains($"STATUS=0x{ConfigBytes.U16(was, Header.Status):x4}", line);
            Assert.StartsWith("<6>", line);
        }
        Assert.True(recorded >= 5, $"{recorded} functions with error status");
        Assert.Equal(recorded, lines.Count);
    }

    // ---- Item 5: boot mode with a key present refuses an unsigned or forged blob ----

    [Theory]
    [InlineData("signed", "restored")]
    [InlineData("unsigned", "quiesced")]
    [InlineData("forged", "quiesced")]
    [InlineData("signed-bad-key-file", "quiesced")]
    [InlineData("unsigned-no-key-file", "restored")]
    public void Boot_mode_with_a_key_present_refuses_unsigned_and_forged_blobs(string kind, string endpointOutcome)
    {
        string fw = Path.Combine(Dir, "fw.json"), run = Path.Combine(Dir, "run.json"), blob = Path.Combine(Dir, "handoff.pcfg");
        string key = Path.Combine(Dir, "handoff.key"), other = Path.Combine(Dir, "other.key");
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), fw);
        File.Copy(fw, run);
        File.WriteAllBytes(key, [.. Enumerable.Range(1, 32).Select(i => (byte)i)]);
        File.WriteAllBytes(other, [.. Enumerable.Range(2, 32).Select(i => (byte)i)]);
        string[] sign = kind switch { "signed" or "signed-bad-key-file" => ["--key", key], "forged" => ["--key", other], _ => [] };
        Assert.Equal(0, Cli(["capture", "--source", $"sim:{fw}", "--out", $"file:{blob}", .. sign]));
        if (kind == "signed-bad-key-file") File.WriteAllBytes(key, [1, 2, 3]);
        if (kind == "unsigned-no-key-file") File.Delete(key);
        Assert.Equal(0, Cli("sim", "dirty", run, "--seed", "2"));
        string cmdline = Path.Combine(Dir, "cmdline"), report = Path.Combine(Dir, "report.json"), kmsg = Path.Combine(Dir, "kmsg");
        File.WriteAllText(cmdline, "elfcorehdr=0x1000 reset_devices\n");
        Assert.Equal(0, Cli("preinit", "--boot", "--from", $"file:{blob}", "--target", $"sim:{run}", "--cmdline", cmdline,
            "--vmcore", Path.Combine(Dir, "no-vmcore"), "--kmsg", kmsg, "--report", report, "--boot-key", key));
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var endpoints = doc.RootElement.GetProperty("devices").EnumerateArray()
            .Where(d => Endpoint(SimulatedMachine.Load(fw)[PciAddress.Parse(d.GetProperty("address").GetString()!)].Space.Snapshot())).ToList();
        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, d => Assert.Equal(endpointOutcome, d.GetProperty("outcome").GetString()));
        Assert.All(SimulatedMachine.Load(run).Functions.Where(f => Stopped(f.Space.Snapshot())), f => Assert.False(f.Space.DmaAllowed));
        string log = File.ReadAllText(kmsg);
        if (endpointOutcome == "quiesced")
            Assert.Matches(kind == "signed-bad-key-file" ? "key .* unusable" : "signature|not signed", log);
    }
}
