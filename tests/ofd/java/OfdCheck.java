// An independent checker of an OFD's GB/T 33190 §18 signatures on the JDK's ZIP and DOM readers and
// BouncyCastle: for every signature the document lists, every Reference's CheckValue against SM3 (or
// SHA-256) of the file it names, then SignedValue.dat through SesCheck.signature (BouncyCastle ASN.1,
// SM3withSM2 over DER(TBS_Sign), dataHash = SM3 of Signature.xml as stored). Built and run by
// tests/ofd/test_bouncycastle.py, compiled together with tests/ses/java/SesCheck.java.
//
//   java -cp bcprov.jar:. OfdCheck FILE.ofd
//
// Prints key=value lines (sig<N>.ref[<path>]=OK|BAD, then SesCheck's lines prefixed by nothing);
// exit code 0 when every reference and every signature checks out, 1 otherwise.

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.Security;
import java.util.Arrays;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class OfdCheck {
    static ZipFile zip;

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        zip = new ZipFile(Paths.get(args[0]).toFile());
        Document ofd = parse(read("OFD.xml"));
        NodeList lists = ofd.getElementsByTagNameNS("*", "Signatures");
        int n = 0;
        for (int i = 0; i < lists.getLength(); i++) {
            String listPath = resolve("OFD.xml", lists.item(i).getTextContent().trim());
            NodeList sigs = parse(read(listPath)).getElementsByTagNameNS("*", "Signature");
            for (int j = 0; j < sigs.getLength(); j++, n++) {
                String sigPath = resolve(listPath, ((Element) sigs.item(j)).getAttribute("BaseLoc"));
                check(n, sigPath);
            }
        }
        System.out.println("signatures=" + n);
        boolean good = SesCheck.allGood && n > 0;
        System.out.println("result=" + (good ? "OK" : "BAD"));
        System.exit(good ? 0 : 1);
    }

    static void check(int n, String sigPath) throws Exception {
        byte[] sigXml = read(sigPath);
        Document doc = parse(sigXml);
        Element refs = (Element) doc.getElementsByTagNameNS("*", "References").item(0);
        String method = refs.getAttribute("CheckMethod");
        NodeList items = refs.getElementsByTagNameNS("*", "Reference");
        for (int k = 0; k < items.getLength(); k++) {
            Element ref = (Element) items.item(k);
            String path = resolve(sigPath, ref.getAttribute("FileRef"));
            String value = ref.getElementsByTagNameNS("*", "CheckValue").item(0).getTextContent().trim();
            boolean same = Arrays.equals(digest(method, read(path)), Base64.getDecoder().decode(value));
            System.out.println("sig" + n + ".ref[" + path + "]=" + (same ? "OK" : "BAD"));
            SesCheck.allGood &= same;
        }
        String valuePath = resolve(sigPath, doc.getElementsByTagNameNS("*", "SignedValue").item(0).getTextContent().trim());
        System.out.println("sig" + n + ".signedValue=" + valuePath);
        SesCheck.signature(ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(read(valuePath))), sigXml);
    }

    static byte[] digest(String method, byte[] data) throws Exception {
        if (method.equalsIgnoreCase("SM3") || method.equals("1.2.156.10197.1.401")) {
            SM3Digest d = new SM3Digest();
            d.update(data, 0, data.length);
            byte[] h = new byte[32];
            d.doFinal(h, 0);
            return h;
        }
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    static String resolve(String base, String ref) {
        if (ref.startsWith("/")) return ref.substring(1);
        int slash = base.lastIndexOf('/');
        return java.nio.file.Paths.get(slash < 0 ? "" : base.substring(0, slash)).resolve(ref).normalize().toString();
    }

    static byte[] read(String name) throws Exception {
        ZipEntry e = zip.getEntry(name);
        if (e == null) throw new IllegalArgumentException("no entry " + name);
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes();
        }
    }

    static Document parse(byte[] xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        DocumentBuilder b = f.newDocumentBuilder();
        return b.parse(new ByteArrayInputStream(xml));
    }
}
