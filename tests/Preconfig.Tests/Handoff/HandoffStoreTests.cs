using System.Diagnostics;
using System.IO.Abstractions.TestingHelpers;

namespace Preconfig.Tests.Handoff;

/// <summary>
/// The stores. They reach files only through <see cref="IFileSystem"/>, so most of these run on a
/// <see cref="MockFileSystem"/>: the exact paths a real system uses, images damaged in memory, nothing left behind.
/// The cpio interop tests use real files, since the real cpio reads and writes them.
/// </summary>
public class HandoffStoreTests
{
    private static readonly FileSystem Fs = new();
    private readonly MockFileSystem _mock = new();

    [Theory]
    [InlineData("x.pcfg", typeof(FileStore))]
    [InlineData("file:x.pcfg", typeof(FileStore))]
    [InlineData("initrd:x.cpio", typeof(InitrdStore))]
    [InlineData("devmem:/tmp/region.bin@0x7f000000+1M", typeof(DevMemStore))]
    public void Parses_store_specs(string spec, Type type)
    {
        var store = HandoffStore.Parse(spec, Fs);
        Assert.IsType(type, store);
        Assert.Equal(spec, store.Spec);
    }

    [Fact]
    public void Devmem_spec_numbers()
    {
        var s = (DevMemStore)HandoffStore.Parse("devmem:/tmp/a@b@4096+64K", Fs);
        Assert.Equal("/tmp/a@b", s.Path);
        Assert.Equal(4096, s.Offset);
        Assert.Equal(65536, s.Size);
        Assert.Equal(32768, s.SlotSize);
        Assert.Equal(0x7f000000, ((DevMemStore)HandoffStore.Parse("devmem:/tmp/region.bin@0x7f000000+0x100000", Fs)).Offset);
    }

    [Theory]
    [InlineData("devmem:/tmp/region.bin", "PATH@OFFSET+SIZE")]
    [InlineData("devmem:/tmp/region.bin@zz+1M", "OFFSET 'zz'")]
    [InlineData("devmem:/tmp/region.bin@0+12", "SIZE 12")]
    [InlineData("file:", "no file name")]
    [InlineData("", "empty")]
    public void Bad_specs_say_what_is_wrong(string spec, string message)
    {
        var e = Assert.Throws<FormatException>(() => HandoffStore.Parse(spec, Fs));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void File_store_replaces_atomically_and_counts_up()
    {
        _mock.Directory.CreateDirectory("/var/lib/preconfig");
        var store = HandoffStore.Parse("/var/lib/preconfig/handoff.pcfg", _mock);
        Assert.Equal(1ul, store.Save(HandoffTestData.Sample(5, 1)).Sequence);
        Assert.Equal(2ul, store.Save(HandoffTestData.Sample(6, 2)).Sequence);
        var loaded = store.Load();
        Assert.Equal(2ul, loaded.Blob.Info.Sequence);
        HandoffTestData.AssertSame(HandoffTestData.Sample(6, 2), loaded.Blob.Snapshot);
        Assert.Equal(["/var/lib/preconfig/handoff.pcfg"], _mock.Directory.GetFiles("/var/lib/preconfig")); // no temporary file left
    }

    [Fact]
    public void File_store_errors_name_the_file_and_offset()
    {
        const string path = "/var/lib/preconfig/handoff.pcfg";
        _mock.Directory.CreateDirectory("/var/lib/preconfig");
        var store = HandoffStore.Parse(path, _mock);
        store.Save(HandoffTestData.Sample(5));
        _mock.GetFile(path).Contents[60] ^= 0x10;
        var e = Assert.Throws<HandoffFormatException>(() => store.Load());
        Assert.StartsWith(path + ": CRC32C mismatch", e.Message);
        Assert.Throws<FileNotFoundException>(() => HandoffStore.Parse("/var/lib/preconfig/missing", _mock).Load());
    }

    /// <summary>A devmem: region over an image of <c>/dev/mem</c> in the mock: a plain file, as on a test host.</summary>
    private DevMemStore NewRegion(out string path, long offset = 4096, long size = 64 * 1024)
    {
        path = "/srv/mem.img";
        _mock.AddFile(path, new MockFileData(new byte[offset + size + 4096]));
        return (DevMemStore)HandoffStore.Parse($"devmem:{path}@{offset}+{size}", _mock);
    }

    private byte[] Image(string path) => _mock.File.ReadAllBytes(path);
    private void SetImage(string path, byte[] bytes) => _mock.File.WriteAllBytes(path, bytes);

    [Fact]
    public void Devmem_alternates_slots_and_newest_wins()
    {
        var store = NewRegion(out _);
        Assert.Throws<HandoffFormatException>(() => store.Load());
        var w1 = store.Save(HandoffTestData.Sample(10, 1));
        var w2 = store.Save(HandoffTestData.Sample(10, 2));
        var w3 = store.Save(HandoffTestData.Sample(10, 3));
        Assert.Equal([1ul, 2ul, 3ul], new[] { w1.Sequence, w2.Sequence, w3.Sequence });
        Assert.EndsWith("slot 0", w1.Location);
        Assert.EndsWith("slot 1", w2.Location);
        Assert.EndsWith("slot 0", w3.Location);
        var loaded = store.Load();
        Assert.Equal(3ul, loaded.Blob.Info.Sequence);
        Assert.Equal("host-3", loaded.Blob.Snapshot.HostName);
    }

    [Fact]
    public void Devmem_uses_the_other_slot_when_one_is_damaged()
    {
        var store = NewRegion(out string path);
        store.Save(HandoffTestData.Sample(10, 1));   // slot 0, seq 1
        var w2 = store.Save(HandoffTestData.Sample(10, 2)); // slot 1, seq 2
        var image = Image(path);

        // Damage the newest (slot 1): every bit of its header and a spread of its body.
        long slot1 = store.SlotOffset(1);
        for (int i = 0; i < w2.BlobLength; i += i < 80 ? 1 : 97)
        {
            var copy = (byte[])image.Clone();
            copy[slot1 + i] ^= 0x04;
            SetImage(path, copy);
            var loaded = store.Load();
            Assert.Equal(1ul, loaded.Blob.Info.Sequence);
            Assert.Contains(loaded.Problems, p => p.StartsWith("slot 1"));
        }
        // Damage the older one: the newest still wins, and the problem is reported.
        var older = (byte[])image.Clone();
        older[store.SlotOffset(0) + 20] ^= 0xff;
        SetImage(path, older);
        var l2 = store.Load();
        Assert.Equal(2ul, l2.Blob.Info.Sequence);
        Assert.Single(l2.Problems);
    }

    [Fact]
    public void Torn_write_at_every_64_byte_boundary_keeps_the_previous_snapshot()
    {
        var store = NewRegion(out string path);
        store.Save(HandoffTestData.Sample(20, 1));     // slot 0, seq 1
        store.Save(HandoffTestData.Sample(20, 2));     // slot 1, seq 2
        var before = Image(path);
        var plan = store.PlanWrite(HandoffTestData.Sample(20, 3));
        Assert.Equal(0, plan.Slot);
        Assert.Equal(3ul, plan.Sequence);
        for (int cut = 0; cut < plan.Blob.Length; cut += 64)
        {
            SetImage(path, before);
            store.Apply(plan, cut);
            var loaded = store.Load();
            Assert.Equal(2ul, loaded.Blob.Info.Sequence);
            Assert.Equal("host-2", loaded.Blob.Snapshot.HostName);
        }
        SetImage(path, before);
        store.Apply(plan, plan.Blob.Length);
        Assert.Equal("host-3", store.Load().Blob.Snapshot.HostName);
    }

    /// <summary>
    /// An intact blob (header and CRC32C right) whose body does not decompress: numbering the next blob needs only
    /// its header, so a file store counts on from it; a devmem region still keeps the slot a load would use.
    /// </summary>
    private static byte[] IntactButUndecodable(ulong sequence)
    {
        var blob = HandoffBlob.Write(HandoffTestData.Sample(10, 9), new BlobWriteOptions { Sequence = sequence, Compression = BlobCompression.Brotli });
        blob.AsSpan(HandoffBlob.FixedHeaderLength, 16).Fill(0x5a); // garbage Brotli
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(32), 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(32), Crc32C.Compute(blob));
        Assert.Equal(sequence, HandoffBlob.IntactSequence(blob));
        Assert.Throws<HandoffFormatException>(() => HandoffBlob.ReadBody(blob));
        return blob;
    }

    [Fact]
    public void The_next_sequence_comes_from_the_header_without_decoding_the_body()
    {
        _mock.Directory.CreateDirectory("/var/lib/preconfig");
        const string path = "/var/lib/preconfig/handoff.pcfg";
        SetImage(path, IntactButUndecodable(41));
        var store = HandoffStore.Parse(path, _mock);
        Assert.Equal(42ul, store.Save(HandoffTestData.Sample(5, 1)).Sequence);
        _mock.GetFile(path).Contents[20] ^= 1; // a damaged header or CRC: numbering starts again
        Assert.Equal(1ul, store.Save(HandoffTestData.Sample(5, 1)).Sequence);
    }

    [Fact]
    public void Devmem_keeps_the_newest_slot_a_load_would_use_and_numbers_above_both()
    {
        var store = NewRegion(out string path);
        store.Save(HandoffTestData.Sample(10, 1)); // slot 0, seq 1: the only valid one
        var image = Image(path);
        IntactButUndecodable(9).CopyTo(image, store.SlotOffset(1));
        SetImage(path, image);
        var plan = store.PlanWrite(HandoffTestData.Sample(10, 2));
        Assert.Equal(1, plan.Slot);          // slot 0 is what a load finds: it is kept
        Assert.Equal(10ul, plan.Sequence);   // above the intact header of slot 1
        store.Apply(plan, plan.Blob.Length);
        Assert.Equal("host-2", store.Load().Blob.Snapshot.HostName);

        // The same with a key: a slot signed with another key is not what a load with the key would use.
        var key = new HandoffKey(new byte[32], "k");
        var other = new HandoffKey(Enumerable.Repeat((byte)1, 32).ToArray(), "other");
        var signed = NewRegion(out path);
        signed.Save(HandoffTestData.Sample(4, 1), key);              // slot 0, seq 1, genuine
        var forged = HandoffBlob.Write(HandoffTestData.Sample(4, 3), new BlobWriteOptions { Sequence = 7, Key = other });
        image = Image(path);
        forged.CopyTo(image, signed.SlotOffset(1));
        SetImage(path, image);
        plan = signed.PlanWrite(HandoffTestData.Sample(4, 2), key);
        Assert.Equal(1, plan.Slot);
        Assert.Equal(8ul, plan.Sequence);
    }

    [Fact]
    public void Devmem_refuses_a_blob_larger_than_a_slot_and_leaves_the_region_alone()
    {
        var store = NewRegion(out string path, size: 1024);
        store.Save(HandoffTestData.Sample(1, 1, withExtras: false));
        var before = Image(path);
        var e = Assert.Throws<HandoffFormatException>(() => store.Save(HandoffTestData.Sample(200)));
        Assert.Contains("a slot holds 512", e.Message);
        Assert.Equal(before, Image(path));
    }

    [Fact]
    public void Devmem_signed_slots_need_the_key()
    {
        var key = new HandoffKey(new byte[32], "k");
        var store = NewRegion(out _);
        store.Save(HandoffTestData.Sample(4), key);
        Assert.True(store.Load(key).Blob.SignatureChecked);
        var other = new HandoffKey(Enumerable.Repeat((byte)1, 32).ToArray(), "other");
        var e = Assert.Throws<HandoffFormatException>(() => store.Load(other));
        Assert.Contains("does not match the key other", e.Message);
    }

    [Theory]
    [InlineData("appendix.cpio")]
    [InlineData("appendix.cpio.gz")]
    public void Initrd_store_round_trips(string name)
    {
        string path = "/var/lib/preconfig/" + name;
        _mock.Directory.CreateDirectory("/var/lib/preconfig");
        var store = HandoffStore.Parse("initrd:" + path, _mock);
        store.Save(HandoffTestData.Sample(12, 1));
        var w = store.Save(HandoffTestData.Sample(12, 2));
        Assert.Equal(2ul, w.Sequence);
        var bytes = Image(path);
        Assert.Equal(name.EndsWith(".gz"), bytes[0] == 0x1f && bytes[1] == 0x8b);
        HandoffTestData.AssertSame(HandoffTestData.Sample(12, 2), store.Load().Blob.Snapshot);
    }

    private static (int Exit, string Output) RunCpio(string dir, string args, string input)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"cpio {args} < '{input}'"])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Fact]
    public void Cpio_lists_and_extracts_a_blob_that_verifies()
    {
        string dir = HandoffTestData.TempDir();
        string archive = Path.Combine(dir, "appendix.cpio");
        var key = new HandoffKey(new byte[32], "k");
        HandoffStore.Parse("initrd:" + archive, Fs).Save(HandoffTestData.Sample(16), key);

        var (listExit, listing) = RunCpio(dir, "-t", archive);
        Assert.Equal(0, listExit);
        Assert.Contains(InitrdStore.BlobPath, listing.Split('\n'));

        string extract = Path.Combine(dir, "out");
        Directory.CreateDirectory(extract);
        var (exit, output) = RunCpio(extract, "-i -d", archive);
        Assert.True(exit == 0, output);
        var blob = File.ReadAllBytes(Path.Combine(extract, InitrdStore.BlobPath));
        HandoffTestData.AssertSame(HandoffTestData.Sample(16), HandoffBlob.Read(blob, key).Snapshot);
    }

    [Fact]
    public void Initrd_reader_takes_what_cpio_itself_writes()
    {
        string dir = HandoffTestData.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "etc", "preconfig"));
        File.WriteAllBytes(Path.Combine(dir, InitrdStore.BlobPath), HandoffBlob.Write(HandoffTestData.Sample(3)));
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"printf 'etc\\netc/preconfig\\n{InitrdStore.BlobPath}\\n' | cpio -o -H newc > theirs.cpio"])
        { WorkingDirectory = dir, RedirectStandardError = true };
        using (var p = Process.Start(psi)!) { p.StandardError.ReadToEnd(); p.WaitForExit(); Assert.Equal(0, p.ExitCode); }
        var loaded = HandoffStore.Parse("initrd:" + Path.Combine(dir, "theirs.cpio"), Fs).Load();
        Assert.Equal(3, loaded.Blob.Snapshot.Devices.Count);
    }

    [Fact]
    public void Damaged_cpio_names_the_offset()
    {
        const string path = "/var/lib/preconfig/handoff.cpio";
        _mock.Directory.CreateDirectory("/var/lib/preconfig");
        var store = HandoffStore.Parse("initrd:" + path, _mock);
        store.Save(HandoffTestData.Sample(3));
        SetImage(path, Image(path)[..150]);
        var e = Assert.Throws<HandoffFormatException>(() => store.Load());
        Assert.Contains(path, e.Message);
        Assert.True(e.Offset >= 0);
    }
}
