// An independent reader of GB/T 38540-2020 v4 seal data and signatures, on BouncyCastle's ASN.1
// classes and its SM3withSM2 (default user ID 1234567812345678). Built and run by tests/ses/test_bouncycastle.py.
//
//   java -cp bcprov.jar:. SesCheck seal FILE.esl
//   java -cp bcprov.jar:. SesCheck signature SIGNED_VALUE [PROTECTED_DATA]
//
// Prints key=value lines; exit code 0 when every signature checked verifies, 1 otherwise.

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.Security;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;

import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.util.encoders.Hex;

public class SesCheck {
    static final String SM2_WITH_SM3 = "1.2.156.10197.1.501";
    static boolean allGood = true;

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        byte[] data = Files.readAllBytes(Paths.get(args[1]));
        if (args[0].equals("seal")) {
            seal(ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(data)), "");
        } else {
            byte[] protectedData = args.length > 2 ? Files.readAllBytes(Paths.get(args[2])) : null;
            signature(ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(data)), protectedData);
        }
        System.out.println("result=" + (allGood ? "OK" : "BAD"));
        System.exit(allGood ? 0 : 1);
    }

    static X509Certificate cert(byte[] der) throws Exception {
        CertificateFactory f = CertificateFactory.getInstance("X.509", "BC");
        return (X509Certificate) f.generateCertificate(new ByteArrayInputStream(der));
    }

    static boolean verify(X509Certificate cert, byte[] signed, byte[] signature) throws Exception {
        Signature sg = Signature.getInstance("SM3withSM2", "BC");
        sg.initVerify(cert.getPublicKey());
        sg.update(signed);
        return sg.verify(signature);
    }

    // SES_Seal ::= SEQUENCE { eSealInfo SES_SealInfo, cert OCTET STRING, signAlgID OID, signedValue BIT STRING }
    static ASN1Sequence seal(ASN1Sequence seal, String prefix) throws Exception {
        ASN1Sequence info = ASN1Sequence.getInstance(seal.getObjectAt(0));
        ASN1Sequence header = ASN1Sequence.getInstance(info.getObjectAt(0));
        System.out.println(prefix + "header=" + ASN1IA5String.getInstance(header.getObjectAt(0)).getString() + "/"
                + ASN1Integer.getInstance(header.getObjectAt(1)).getValue() + "/"
                + ASN1IA5String.getInstance(header.getObjectAt(2)).getString());
        System.out.println(prefix + "esID=" + ASN1IA5String.getInstance(info.getObjectAt(1)).getString());
        ASN1Sequence prop = ASN1Sequence.getInstance(info.getObjectAt(2));
        System.out.println(prefix + "type=" + ASN1Integer.getInstance(prop.getObjectAt(0)).getValue());
        System.out.println(prefix + "name=" + ASN1UTF8String.getInstance(prop.getObjectAt(1)).getString());
        System.out.println(prefix + "certListType=" + ASN1Integer.getInstance(prop.getObjectAt(2)).getValue());
        ASN1Sequence certList = ASN1Sequence.getInstance(prop.getObjectAt(3));
        for (int i = 0; i < certList.size(); i++) {
            X509Certificate c = cert(ASN1OctetString.getInstance(certList.getObjectAt(i)).getOctets());
            System.out.println(prefix + "signer[" + i + "]=" + c.getSubjectX500Principal().getName());
        }
        System.out.println(prefix + "validEnd=" + ASN1GeneralizedTime.getInstance(prop.getObjectAt(6)).getTimeString());
        ASN1Sequence pic = ASN1Sequence.getInstance(info.getObjectAt(3));
        System.out.println(prefix + "picture=" + ASN1IA5String.getInstance(pic.getObjectAt(0)).getString() + "/"
                + ASN1OctetString.getInstance(pic.getObjectAt(1)).getOctets().length + "/"
                + ASN1Integer.getInstance(pic.getObjectAt(2)).getValue() + "x"
                + ASN1Integer.getInstance(pic.getObjectAt(3)).getValue());
        X509Certificate maker = cert(ASN1OctetString.getInstance(seal.getObjectAt(1)).getOctets());
        String alg = ASN1ObjectIdentifier.getInstance(seal.getObjectAt(2)).getId();
        byte[] signedValue = ASN1BitString.getInstance(seal.getObjectAt(3)).getOctets();
        boolean ok = alg.equals(SM2_WITH_SM3)
                && verify(maker, info.toASN1Primitive().getEncoded("DER"), signedValue);
        System.out.println(prefix + "maker=" + maker.getSubjectX500Principal().getName());
        System.out.println(prefix + "maker_signature=" + (ok ? "OK" : "BAD"));
        allGood &= ok;
        return certList;
    }

    // SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING, signatureAlgID OID, signature BIT STRING,
    //                              timeStamp [0] EXPLICIT BIT STRING OPTIONAL }
    // TBS_Sign ::= SEQUENCE { version INTEGER, eseal SES_Seal, timeInfo GeneralizedTime, dataHash BIT STRING,
    //                         propertyInfo IA5String, extDatas [0] EXPLICIT ExtensionDatas OPTIONAL }
    static void signature(ASN1Sequence sig, byte[] protectedData) throws Exception {
        ASN1Sequence tbs = ASN1Sequence.getInstance(sig.getObjectAt(0));
        System.out.println("version=" + ASN1Integer.getInstance(tbs.getObjectAt(0)).getValue());
        ASN1Sequence certList = seal(ASN1Sequence.getInstance(tbs.getObjectAt(1)), "seal.");
        System.out.println("timeInfo=" + ASN1GeneralizedTime.getInstance(tbs.getObjectAt(2)).getTimeString());
        byte[] dataHash = ASN1BitString.getInstance(tbs.getObjectAt(3)).getOctets();
        System.out.println("propertyInfo=" + ASN1IA5String.getInstance(tbs.getObjectAt(4)).getString());
        byte[] signerDer = ASN1OctetString.getInstance(sig.getObjectAt(1)).getOctets();
        boolean listed = false;
        for (int i = 0; i < certList.size(); i++) {
            listed |= Arrays.equals(ASN1OctetString.getInstance(certList.getObjectAt(i)).getOctets(), signerDer);
        }
        System.out.println("signer_in_seal=" + (listed ? "OK" : "BAD"));
        X509Certificate signer = cert(signerDer);
        String alg = ASN1ObjectIdentifier.getInstance(sig.getObjectAt(2)).getId();
        byte[] value = ASN1BitString.getInstance(sig.getObjectAt(3)).getOctets();
        boolean ok = alg.equals(SM2_WITH_SM3) && verify(signer, tbs.toASN1Primitive().getEncoded("DER"), value);
        System.out.println("signer=" + signer.getSubjectX500Principal().getName());
        System.out.println("signature=" + (ok ? "OK" : "BAD"));
        if (sig.size() > 4) {
            ASN1TaggedObject ts = ASN1TaggedObject.getInstance(sig.getObjectAt(4));
            byte[] token = ASN1BitString.getInstance(ts.getExplicitBaseObject()).getOctets();
            System.out.println("timeStamp=" + token.length);
        }
        allGood &= ok && listed;
        if (protectedData != null) {
            SM3Digest d = new SM3Digest();
            d.update(protectedData, 0, protectedData.length);
            byte[] h = new byte[32];
            d.doFinal(h, 0);
            boolean same = Arrays.equals(h, dataHash);
            System.out.println("dataHash=" + (same ? "OK" : "BAD") + " " + Hex.toHexString(dataHash));
            allGood &= same;
        }
    }
}
